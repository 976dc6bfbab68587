import WhetNN
import WhetTensor

/// Packed copies of a model's quantized weights, used by ``DecoderInference`` when few rows go
/// through a layer at once (decoding). They mirror the file: after training changes the
/// Float32 weights, build the inference engine without them.
public struct PackedWeights: @unchecked Sendable {
  var layers: [ObjectIdentifier: PackedMatrix] = [:]
  var output: PackedMatrix?

  public init() {}

  public func matrix(for layer: Linear) -> PackedMatrix? { layers[ObjectIdentifier(layer)] }

  /// How many weight matrices are packed.
  public var count: Int { layers.count + (output == nil ? 0 : 1) }

  /// Packs every `Q4_0`, `Q4_1` and `Q8_0` weight of `model` (loaded from `file`), with the
  /// same Q/K row un-permutation the loader applies.
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
      let entries: [(String, Linear, Int?)] = [
        ("self_attn.q_proj.weight", block.attention.qProj, permuted ? config.heads : nil),
        ("self_attn.k_proj.weight", block.attention.kProj, permuted ? config.kvHeads : nil),
        ("self_attn.v_proj.weight", block.attention.vProj, nil),
        ("self_attn.o_proj.weight", block.attention.oProj, nil),
        ("mlp.gate_proj.weight", block.mlp.gateProj, nil),
        ("mlp.up_proj.weight", block.mlp.upProj, nil),
        ("mlp.down_proj.weight", block.mlp.downProj, nil),
      ]
      for (name, layer, heads) in entries {
        if let m = try pack(prefix + name, heads: heads) {
          packed.layers[ObjectIdentifier(layer)] = m
        }
      }
    }
    packed.output = try pack(config.tiedEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight")
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
