import WhetNN
import WhetTensor

/// Packed copies of a model's quantized weights, used by ``DecoderInference`` when few rows go
/// through a layer at once (decoding). They mirror the file: after training changes the
/// Float32 weights, build the inference engine without them.
public struct PackedWeights: @unchecked Sendable {
  var layers: [ObjectIdentifier: PackedMatrix] = [:]
  /// Rows of several layers that read the same input, stacked so one product (one pass over
  /// the input, one hand-off to the workers) computes them all: Q, K and V; gate and up.
  /// Keyed by the first layer of the group.
  var stacked: [ObjectIdentifier: PackedMatrix] = [:]
  var output: PackedMatrix?
  /// How many weight matrices are packed (a stacked group counts each of its layers).
  public private(set) var count = 0

  public init() {}

  public func matrix(for layer: Linear) -> PackedMatrix? { layers[ObjectIdentifier(layer)] }

  /// The stacked product of `group` (layers reading one input), if all of them are packed in
  /// one format; its output holds each layer's outputs side by side, in order.
  public func stacked(_ group: [Linear]) -> PackedMatrix? {
    group.first.flatMap { stacked[ObjectIdentifier($0)] }
  }

  /// Stacks `group`'s packed matrices when they share a format, else keeps them one by one.
  mutating func add(_ group: [(Linear, PackedMatrix?)]) {
    let parts = group.compactMap(\.1)
    count += parts.count
    if parts.count == group.count, group.count > 1,
      let whole = PackedMatrix(stackingRows: parts)
    {
      stacked[ObjectIdentifier(group[0].0)] = whole
      return
    }
    for (layer, m) in group { if let m { layers[ObjectIdentifier(layer)] = m } }
  }

  /// Packs every weight of `model` (loaded from `file`) whose block type has a packed form
  /// (``PackedMatrix/format(of:)``), with the same Q/K row un-permutation the loader applies.
  public static func fromGGUF(_ file: GGUFFile, model: TransformerDecoder) throws -> PackedWeights {
    var packed = PackedWeights()
    let config = model.config
    let arch = try file.string("general.architecture")
    let permuted = arch == "llama" || arch == "mistral"
    func pack(_ hfName: String, heads: Int? = nil) throws -> PackedMatrix? {
      guard let name = WeightNames.gguf(fromHF: hfName, family: config.family), file.hasTensor(name)
      else { return nil }
      return try file.withRawBytes(name) { info, bytes in
        guard info.shape.count == 2 else { return nil }
        let order = heads.map { h in Self.hfRowOrder(rows: info.shape[0], heads: h) }
        return PackedMatrix(
          type: info.type, source: bytes.baseAddress!, rows: info.shape[0], columns: info.shape[1],
          rowOrder: order)
      }
    }
    for (i, block) in model.layers.enumerated() {
      let prefix = "model.layers.\(i)."
      let attention = block.attention, mlp = block.mlp
      try packed.add([
        (
          attention.qProj,
          pack(prefix + "self_attn.q_proj.weight", heads: permuted ? config.heads : nil)
        ),
        (
          attention.kProj,
          pack(prefix + "self_attn.k_proj.weight", heads: permuted ? config.kvHeads : nil)
        ),
        (attention.vProj, pack(prefix + "self_attn.v_proj.weight")),
      ])
      try packed.add([(attention.oProj, pack(prefix + "self_attn.o_proj.weight"))])
      try packed.add([
        (mlp.gateProj, pack(prefix + "mlp.gate_proj.weight")),
        (mlp.upProj, pack(prefix + "mlp.up_proj.weight")),
      ])
      try packed.add([(mlp.downProj, pack(prefix + "mlp.down_proj.weight"))])
    }
    packed.output = try pack(config.tiedEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight")
    if packed.output != nil { packed.count += 1 }
    return packed
  }

  /// For each HF-order row, the GGUF row it came from (see ``RotaryPermutation``).
  static func hfRowOrder(rows: Int, heads: Int) -> [Int] {
    let d = rows / heads, half = d / 2
    var order = [Int](repeating: 0, count: rows)
    for h in 0..<heads {
      for s in 0..<2 {
        for i in 0..<half { order[h * d + s * half + i] = h * d + 2 * i + s }
      }
    }
    return order
  }
}
