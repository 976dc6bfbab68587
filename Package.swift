// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "Whetstone",
  platforms: [.macOS(.v14)],
  products: [
    .library(name: "WhetTensor", targets: ["WhetTensor"]),
    .library(name: "WhetNN", targets: ["WhetNN"]),
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
      dependencies: [.target(name: "CBLAS", condition: .when(platforms: [.linux]))]
    ),
    .target(name: "WhetNN", dependencies: ["WhetTensor"]),
    .target(name: "TestSupport", dependencies: ["WhetTensor", "WhetNN"], path: "Sources/TestSupport"),
    .executableTarget(
      name: "whet",
      dependencies: [
        "WhetTensor", "WhetNN",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(
      name: "whet-bench",
      dependencies: [
        "WhetTensor", "WhetNN",
        .target(name: "CBLAS", condition: .when(platforms: [.linux])),
      ]
    ),
    .testTarget(name: "WhetTensorTests", dependencies: ["WhetTensor", "TestSupport"]),
    .testTarget(name: "WhetNNTests", dependencies: ["WhetNN", "WhetTensor", "TestSupport"]),
  ]
)
