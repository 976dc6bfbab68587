/// Conversions between Float32 and the 16-bit formats model files use.

/// IEEE 754 half precision to single precision, including subnormals, infinities and NaN.
@inlinable public func halfToFloat(_ h: UInt16) -> Float {
  let sign = UInt32(h & 0x8000) << 16
  let exponent = Int(h >> 10) & 0x1F
  let mantissa = UInt32(h & 0x3FF)
  if exponent == 0 {
    // Subnormal (or zero): value = mantissa · 2⁻²⁴.
    let v = Float(mantissa) * (1.0 / 16_777_216.0)
    return sign != 0 ? -v : v
  }
  if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
  return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
}

/// Single to half precision, rounding to nearest even (as `Float16(x)` does).
@inlinable public func floatToHalf(_ x: Float) -> UInt16 { Float16(x).bitPattern }

/// bfloat16 (the top 16 bits of a Float32) to Float32.
@inlinable public func bfloat16ToFloat(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }
