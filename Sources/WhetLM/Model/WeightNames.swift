import WhetNN

/// The one place where checkpoint tensor names are mapped: Hugging Face names (what
/// Whetstone modules use) ↔ llama.cpp's GGUF names.
public enum WeightNames {
  /// Per-block suffixes: HF (after `model.layers.N.`) → GGUF (after `blk.N.`).
  static let blockNames: [(hf: String, gguf: String)] = [
    ("input_layernorm.weight", "attn_norm.weight"),
    ("self_attn.q_proj.weight", "attn_q.weight"),
    ("self_attn.k_proj.weight", "attn_k.weight"),
    ("self_attn.v_proj.weight", "attn_v.weight"),
    ("self_attn.o_proj.weight", "attn_output.weight"),
    ("self_attn.q_proj.bias", "attn_q.bias"),
    ("self_attn.k_proj.bias", "attn_k.bias"),
    ("self_attn.v_proj.bias", "attn_v.bias"),
    ("self_attn.q_norm.weight", "attn_q_norm.weight"),
    ("self_attn.k_norm.weight", "attn_k_norm.weight"),
    ("post_attention_layernorm.weight", "ffn_norm.weight"),
    ("mlp.gate_proj.weight", "ffn_gate.weight"),
    ("mlp.up_proj.weight", "ffn_up.weight"),
    ("mlp.down_proj.weight", "ffn_down.weight"),
  ]

  /// Gemma 3's norms around attention and MLP: in Llama's names `ffn_norm` is
  /// `post_attention_layernorm` (the norm before the MLP); in Gemma's it is
  /// `pre_feedforward_layernorm`, and `post_attention_layernorm` follows attention.
  static let gemmaBlockNames: [(hf: String, gguf: String)] =
    blockNames.filter { $0.gguf != "ffn_norm.weight" } + [
      ("post_attention_layernorm.weight", "post_attention_norm.weight"),
      ("pre_feedforward_layernorm.weight", "ffn_norm.weight"),
      ("post_feedforward_layernorm.weight", "post_ffw_norm.weight"),
    ]

  static func names(_ family: DecoderFamily) -> [(hf: String, gguf: String)] {
    family == .gemma3 ? gemmaBlockNames : blockNames
  }

  static let globalNames: [(hf: String, gguf: String)] = [
    ("model.embed_tokens.weight", "token_embd.weight"),
    ("model.norm.weight", "output_norm.weight"),
    ("lm_head.weight", "output.weight"),
  ]

  /// The GGUF name of a Hugging Face parameter name, or `nil` if it has none.
  public static func gguf(fromHF name: String, family: DecoderFamily = .llama) -> String? {
    if let g = globalNames.first(where: { $0.hf == name }) { return g.gguf }
    let prefix = "model.layers."
    guard name.hasPrefix(prefix) else { return nil }
    let rest = name.dropFirst(prefix.count)
    guard let dot = rest.firstIndex(of: "."), let layer = Int(rest[..<dot]) else { return nil }
    let suffix = String(rest[rest.index(after: dot)...])
    return names(family).first { $0.hf == suffix }.map { "blk.\(layer).\($0.gguf)" }
  }

  /// The Hugging Face name of a GGUF tensor name, or `nil` if it has none.
  public static func hf(fromGGUF name: String, family: DecoderFamily = .llama) -> String? {
    if let g = globalNames.first(where: { $0.gguf == name }) { return g.hf }
    let prefix = "blk."
    guard name.hasPrefix(prefix) else { return nil }
    let rest = name.dropFirst(prefix.count)
    guard let dot = rest.firstIndex(of: "."), let layer = Int(rest[..<dot]) else { return nil }
    let suffix = String(rest[rest.index(after: dot)...])
    return names(family).first { $0.gguf == suffix }.map { "model.layers.\(layer).\($0.hf)" }
  }
}
