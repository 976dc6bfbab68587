import CKernels
import Foundation

/// The kernel path of the C kernels (`CKernels`: the quantized products, the vectorised exp
/// of softmax and SwiGLU), chosen once at run time from CPUID: AVX-512 (VNNI `vpdpwssd` for the
/// products) where the CPU and OS have it, else AVX2 (`vpmaddwd`), else portable C. The build
/// stays at the Haswell floor; each path carries its own target attribute.
///
/// `WHET_KERNELS=portable|avx2|avx512vnni` forces a path; a path this CPU cannot run is
/// refused with a warning on standard error and the fastest supported one is used.
public enum CPUKernels {
  public enum Path: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case portable = 0, avx2 = 1, avx512vnni = 2

    /// Whether this CPU and OS can run the path.
    public var isSupported: Bool { whet_kernels_supported(rawValue) != 0 }

    public var description: String {
      switch self {
      case .portable: return "portable"
      case .avx2: return "avx2"
      case .avx512vnni: return "avx512vnni"
      }
    }
  }

  /// The path every product uses unless told otherwise.
  public static let path: Path = {
    var refused: Int32 = 0
    let asked = ProcessInfo.processInfo.environment["WHET_KERNELS"] ?? ""
    let chosen = Path(rawValue: whet_kernels_best(asked, &refused)) ?? .portable
    if refused != 0 {
      FileHandle.standardError.write(
        Data(
          ("warning: WHET_KERNELS=\(asked) is not a path this CPU runs "
            + "(portable, avx2, avx512vnni); using \(chosen)\n").utf8))
    }
    return chosen
  }()

  /// Every path this machine can run, the portable one first.
  public static var supported: [Path] { Path.allCases.filter(\.isSupported) }
}
