// swift-tools-version: 6.0
import PackageDescription

// Kernels use SIMD16<Float>.addProduct; without a CPU that has FMA, Swift lowers each lane to
// a libm `fmaf` call. Haswell's ISA (AVX2 + FMA) is the floor on x86-64 Linux: Zen 1 and
// later, Intel 2013 and later.
let cpuFlags: [SwiftSetting] = [
  .unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux]))
]

let package = Package(
  name: "Whetstone",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "WhetTensor", targets: ["WhetTensor"]),
    .library(name: "WhetNN", targets: ["WhetNN"]),
    .library(name: "WhetLM", targets: ["WhetLM"]),
    .executable(name: "whet", targets: ["whet"]),
    .executable(name: "whet-bench", targets: ["whet-bench"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    .systemLibrary(
      name: "CBLAS",
      path: "Sources/CBLAS",
      providers: [.apt(["libopenblas-dev"])]
    ),
    .target(
      name: "WhetTensor",
      dependencies: [.target(name: "CBLAS", condition: .when(platforms: [.linux]))],
      swiftSettings: cpuFlags
    ),
    .target(name: "WhetNN", dependencies: ["WhetTensor"], swiftSettings: cpuFlags),
    .target(name: "WhetLM", dependencies: ["WhetNN", "WhetTensor"], swiftSettings: cpuFlags),
    .target(
      name: "TestSupport", dependencies: ["WhetTensor", "WhetNN"], path: "Sources/TestSupport",
      swiftSettings: cpuFlags),
    .executableTarget(
      name: "whet",
      dependencies: [
        "WhetTensor", "WhetNN", "WhetLM",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: cpuFlags
    ),
    .executableTarget(
      name: "whet-bench",
      dependencies: [
        "WhetTensor", "WhetNN", "WhetLM",
        .target(name: "CBLAS", condition: .when(platforms: [.linux])),
      ],
      swiftSettings: cpuFlags
    ),
    .testTarget(
      name: "WhetTensorTests", dependencies: ["WhetTensor", "TestSupport"], swiftSettings: cpuFlags),
    .testTarget(
      name: "WhetLMTests", dependencies: ["WhetLM", "WhetNN", "WhetTensor", "TestSupport"],
      swiftSettings: cpuFlags),
    .testTarget(
      name: "WhetCLITests", dependencies: ["whet", "TestSupport"], swiftSettings: cpuFlags),
    .testTarget(
      name: "WhetNNTests", dependencies: ["WhetNN", "WhetTensor", "TestSupport"],
      swiftSettings: cpuFlags),
  ]
)
