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
    .library(name: "WhetRewards", targets: ["WhetRewards"]),
    .library(name: "WhetData", targets: ["WhetData"]),
    .library(name: "WhetEval", targets: ["WhetEval"]),
    .library(name: "WhetTrain", targets: ["WhetTrain"]),
    .executable(name: "whet", targets: ["whet"]),
    .executable(name: "whet-bench", targets: ["whet-bench"]),
    .executable(name: "whet-fuzz", targets: ["whet-fuzz"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
  ],
  targets: [
    .systemLibrary(
      name: "CBLAS",
      path: "Sources/CBLAS",
      providers: [.apt(["libopenblas-dev"])]
    ),
    .target(
      name: "WhetTensor",
      dependencies: ["CKernels", .target(name: "CBLAS", condition: .when(platforms: [.linux]))],
      swiftSettings: cpuFlags
    ),
    .target(name: "WhetNN", dependencies: ["WhetTensor"], swiftSettings: cpuFlags),
    // C kernels Swift cannot express (quantized integer dot products, vectorised exp), each
    // on AVX-512, AVX2 and portable paths chosen at run time.
    .target(name: "CKernels", path: "Sources/CKernels"),
    .target(
      name: "WhetLM",
      dependencies: [
        "WhetNN", "WhetTensor", "CKernels", .product(name: "Crypto", package: "swift-crypto"),
      ],
      swiftSettings: cpuFlags),
    // Process start-up for the code sandbox (namespaces, mounts, cgroups), in C because it
    // runs between fork and exec.
    .target(name: "CSandbox", path: "Sources/CSandbox"),
    .target(
      name: "WhetRewards",
      dependencies: [
        "WhetLM", "WhetNN", "WhetTensor", "CSandbox",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      resources: [.copy("Judges/Templates")],
      swiftSettings: cpuFlags),
    // TRL-format dataset rows and JSONL reading and writing, shared by WhetTrain and WhetEval.
    .target(name: "WhetData", dependencies: ["WhetLM"], swiftSettings: cpuFlags),
    .target(
      name: "WhetEval", dependencies: ["WhetData", "WhetRewards", "WhetLM", "WhetTensor"],
      swiftSettings: cpuFlags),
    // Trainers: objectives as pure functions of log-probs, one loop for all of them.
    .target(
      name: "WhetTrain",
      dependencies: [
        "WhetData", "WhetRewards", "WhetLM", "WhetNN", "WhetTensor",
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      swiftSettings: cpuFlags),
    // Studies that run the whole loop: sampling, weak verifiers, Weaver, training, held-out
    // evaluation (what `whet demo` reports).
    .target(
      name: "WhetStudies",
      dependencies: ["WhetTrain", "WhetEval", "WhetRewards", "WhetData", "WhetLM", "WhetNN"],
      swiftSettings: cpuFlags),
    // Seeded mutation fuzzing of the file readers (`make fuzz`; a smoke run in `make test`).
    .target(
      name: "WhetFuzz", dependencies: ["WhetLM", "WhetNN", "WhetData", "WhetTensor"],
      swiftSettings: cpuFlags),
    .executableTarget(name: "whet-fuzz", dependencies: ["WhetFuzz"], swiftSettings: cpuFlags),
    .target(
      name: "TestSupport", dependencies: ["WhetTensor", "WhetNN"], path: "Sources/TestSupport",
      swiftSettings: cpuFlags),
    .executableTarget(
      name: "whet",
      dependencies: [
        "WhetTensor", "WhetNN", "WhetLM", "WhetRewards", "WhetData", "WhetEval", "WhetTrain",
        "WhetStudies", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Yams", package: "Yams"),
      ],
      swiftSettings: cpuFlags
    ),
    .executableTarget(
      name: "whet-bench",
      dependencies: [
        "WhetTensor", "WhetNN", "WhetLM", "WhetRewards", "WhetEval", "WhetData", "WhetTrain",
        .target(name: "CBLAS", condition: .when(platforms: [.linux])),
      ],
      swiftSettings: cpuFlags
    ),
    .testTarget(
      name: "WhetTensorTests", dependencies: ["WhetTensor", "TestSupport"], swiftSettings: cpuFlags),
    .testTarget(
      name: "WhetLMTests",
      dependencies: ["WhetLM", "WhetNN", "WhetTensor", "TestSupport", "CKernels"],
      exclude: ["Fixtures"], swiftSettings: cpuFlags),
    .testTarget(
      name: "WhetRewardsTests", dependencies: ["WhetRewards", "WhetLM", "TestSupport"],
      exclude: ["Fixtures"], swiftSettings: cpuFlags),
    .testTarget(
      name: "WhetDataTests", dependencies: ["WhetData", "WhetLM", "TestSupport"],
      swiftSettings: cpuFlags),
    .testTarget(
      name: "WhetTrainTests",
      dependencies: ["WhetTrain", "WhetData", "WhetLM", "WhetNN", "WhetTensor", "TestSupport"],
      exclude: ["Fixtures"], swiftSettings: cpuFlags),
    .testTarget(
      name: "WhetEvalTests", dependencies: ["WhetEval", "WhetRewards", "TestSupport"],
      swiftSettings: cpuFlags),
    .testTarget(
      name: "WhetCLITests",
      dependencies: [
        "whet", "WhetLM", "WhetNN", "WhetTensor", "TestSupport",
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      exclude: ["Fixtures"], swiftSettings: cpuFlags),
    .testTarget(
      name: "WhetFuzzTests", dependencies: ["WhetFuzz", "TestSupport"], swiftSettings: cpuFlags),
    .testTarget(
      name: "WhetNNTests", dependencies: ["WhetNN", "WhetTensor", "TestSupport"],
      swiftSettings: cpuFlags),
  ]
)
