import WhetTensor

/// Something with named parameters. Names are dotted paths (`layers.0.self_attn.q_proj.weight`)
/// and become the keys of saved safetensors files, so they follow Hugging Face's names.
public protocol Module: AnyObject {
  /// Every parameter with its name relative to this module, in a stable order.
  var namedParameters: [(name: String, variable: Variable)] { get }
}

extension Module {
  /// The parameters alone, in ``namedParameters`` order.
  public var parameters: [Variable] { namedParameters.map(\.variable) }

  /// The total number of scalar parameters.
  public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.variable.value.count } }
}

/// `children`' parameters, each name prefixed with `prefix.`.
public func prefixed(
  _ prefix: String, _ children: [(name: String, variable: Variable)]
) -> [(name: String, variable: Variable)] {
  children.map { ("\(prefix).\($0.name)", $0.variable) }
}
