import Foundation
import TestSupport
import Testing
import WhetNN
import WhetTensor

@Suite struct SafetensorsTests {
  func temporaryURL(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-test-\(UUID().uuidString)-\(name)")
  }

  @Test func roundTripKeepsNamesShapesValuesAndMetadata() throws {
    let a = randomTensor([3, 4], seed: 1), b = Tensor(shape: [2], scalars: [.infinity, -0.0])
    let url = temporaryURL("rt.safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafetensorsFile.write(
      [("layer.weight", a), ("bias", b)], metadata: ["format": "pt"], to: url)
    let file = try SafetensorsFile(contentsOf: url)
    #expect(file.names == ["bias", "layer.weight"])
    #expect(file.metadata == ["format": "pt"])
    #expect(try file.tensor("layer.weight").scalars == a.scalars)
    #expect(try file.tensor("layer.weight").shape == [3, 4])
    #expect(try file.tensor("bias").scalars == b.scalars)
  }

  /// A file laid out by hand, byte for byte, as the format defines it, with F16 and BF16.
  @Test func readsHandBuiltFileWithHalfPrecision() throws {
    let header =
      #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]}}"#
    var data = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(Data(header.utf8))
    // F16 1.0 = 0x3C00, −2.5 = 0xC100; BF16 0.5 = 0x3F00.
    data.append(contentsOf: [0x00, 0x3C, 0x00, 0xC1, 0x00, 0x3F])
    let file = try SafetensorsFile(data: data, path: "hand.safetensors")
    #expect(try file.tensor("h").scalars == [1, -2.5])
    #expect(try file.tensor("b").scalars == [0.5])
    #expect(halfToFloat(0x0001) == Float(1.0 / 16_777_216.0))  // smallest subnormal, 2⁻²⁴
  }

  @Test func corruptAndTruncatedFilesAreRejectedWithTheFileName() throws {
    let good = try SafetensorsFile.encode([("w", randomTensor([4], seed: 2))])
    let path = "model.safetensors"
    func error(_ data: Data) -> SafetensorsError? {
      do {
        _ = try SafetensorsFile(data: data, path: path)
        return nil
      } catch { return error as? SafetensorsError }
    }
    // Cut inside the data section, inside the header, and inside the length prefix.
    for cut in [good.count - 1, 20, 5] {
      guard case .truncated(let file, _)? = error(good.prefix(cut)) else {
        Issue.record("cut at \(cut) was not reported as truncated")
        continue
      }
      #expect(file == path)
    }
    // A header length far past the end.
    var huge = good
    huge.replaceSubrange(
      0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Data($0) })
    #expect(error(huge) != nil)
    // Garbage JSON.
    var garbage = good
    garbage[8] = UInt8(ascii: "x")
    #expect(error(garbage).map { "\($0)" }?.contains("does not start with '{'") == true)
    // Extra bytes after the last tensor.
    #expect(error(good + Data([0, 0, 0, 0])) != nil)
    // Wrong byte count for the shape.
    let bad = #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
    var d = Data()
    withUnsafeBytes(of: UInt64(bad.utf8.count).littleEndian) { d.append(contentsOf: $0) }
    d.append(Data(bad.utf8))
    d.append(Data(count: 8))
    guard case .invalidTensor(_, let tensor, let reason)? = error(d) else {
      Issue.record("size mismatch not reported")
      return
    }
    #expect(tensor == "w")
    #expect(reason.contains("needs 12 bytes"))
  }

  @Test func missingFileAndTensorAreTypedErrors() throws {
    #expect(throws: SafetensorsError.self) {
      try SafetensorsFile(contentsOf: URL(fileURLWithPath: "/nonexistent/x.safetensors"))
    }
    let file = try SafetensorsFile(data: try SafetensorsFile.encode([("a", Tensor(1))]), path: "f")
    #expect(throws: SafetensorsError.missingTensor(file: "f", tensor: "b")) { try file.tensor("b") }
  }
}
