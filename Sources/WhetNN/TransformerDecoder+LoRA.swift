import WhetTensor

extension DecoderBlock {
  /// The block's adaptable projections, by their PEFT target name.
  public var projections: [(name: String, layer: Linear)] {
    [
      ("q_proj", attention.qProj), ("k_proj", attention.kProj), ("v_proj", attention.vProj),
      ("o_proj", attention.oProj), ("gate_proj", mlp.gateProj), ("up_proj", mlp.upProj),
      ("down_proj", mlp.downProj),
    ]
  }
}

extension TransformerDecoder {
  /// The adaptable projections of every block, by their PEFT target name.
  public var projections: [(name: String, layer: Linear)] { layers.flatMap(\.projections) }

  /// Attaches a fresh adapter to every projection named in `configuration.targets` and returns
  /// the adapter parameters with their full names (`model.layers.0.self_attn.q_proj.lora_A.weight`).
  /// Train these alone: the base weights stay untracked and need no gradient memory.
  @discardableResult
  public func attachLoRA(_ configuration: LoRAConfiguration, rng: inout SeededGenerator)
    -> [(name: String, variable: Variable)]
  {
    for (name, layer) in projections where configuration.targets.contains(name) {
      layer.adapter = LoRAAdapter(
        inputSize: layer.inputSize, outputSize: layer.outputSize, configuration: configuration,
        rng: &rng)
    }
    return adapterParameters
  }

  /// Every adapter parameter, named.
  public var adapterParameters: [(name: String, variable: Variable)] {
    namedParameters.filter { $0.name.contains(".lora_") }
  }

  /// Folds every adapter into its base weight, `W ← W + scale·B·A` (PEFT's
  /// `merge_and_unload`), and detaches it: the plain model then computes what base + adapter
  /// computed. Packed quantized copies of the old weights (``PackedWeights``) no longer match
  /// and must not be used afterwards.
  public func mergeLoRA() {
    for (_, layer) in projections {
      guard let adapter = layer.adapter else { continue }
      var delta = Tensor.matmul(adapter.b.value, adapter.a.value)
      delta.scale(by: adapter.scale)
      layer.weight.value = layer.weight.value.zipMap(delta, +)
      layer.adapter = nil
    }
  }

  /// Detaches all adapters.
  public func removeLoRA() {
    for (_, layer) in projections { layer.adapter = nil }
  }
}

extension TransformerDecoder {
  /// `body` run on the base model: every adapter detached for its duration and put back
  /// after (the reference policy of a LoRA run, without a second copy of the weights).
  public func withAdaptersDetached<T>(_ body: () throws -> T) rethrows -> T {
    let layers = projections.map(\.layer)
    let saved = layers.map(\.adapter)
    for layer in layers { layer.adapter = nil }
    defer { for (layer, adapter) in zip(layers, saved) { layer.adapter = adapter } }
    return try body()
  }
}
