/// Byte-wise polynomial sharing over GF(256): each byte position of a secret is
/// the value of its own independent polynomial.
enum Polynomial {
    /// One point of every byte's polynomial: the shared x and one y per byte.
    struct Point {
        var x: UInt8
        var y: [UInt8]
    }

    /// Lagrange interpolation of the byte-wise polynomials through `points`,
    /// evaluated at `x`. The x values must be pairwise distinct and all `y`
    /// arrays the same length (callers check both before calling).
    static func interpolate(_ points: [Point], at x: UInt8) -> [UInt8] {
        guard let length = points.first?.y.count else { return [] }
        if let exact = points.first(where: { $0.x == x }) {
            return exact.y
        }
        var result = [UInt8](repeating: 0, count: length)
        for (i, point) in points.enumerated() {
            // Lagrange basis value at x: prod_{j != i} (x - x_j) / (x_i - x_j).
            // x coordinates are public, so only the y multiply needs to be constant time.
            var numerator: UInt8 = 1
            var denominator: UInt8 = 1
            for (j, other) in points.enumerated() where j != i {
                numerator = GF256.multiply(numerator, GF256.add(x, other.x))
                denominator = GF256.multiply(denominator, GF256.add(point.x, other.x))
            }
            let basis = GF256.divide(numerator, denominator)
            for k in 0..<length {
                result[k] ^= GF256.multiply(basis, point.y[k])
            }
        }
        return result
    }

    /// Evaluates, byte-wise, the polynomial whose coefficients are
    /// `coefficients[0]` (constant term) through `coefficients[degree]`, at `x`.
    static func evaluate(_ coefficients: [[UInt8]], at x: UInt8) -> [UInt8] {
        guard let length = coefficients.first?.count else { return [] }
        var result = [UInt8](repeating: 0, count: length)
        // Horner's rule, from the highest coefficient down.
        for coefficient in coefficients.reversed() {
            for k in 0..<length {
                result[k] = GF256.multiply(result[k], x) ^ coefficient[k]
            }
        }
        return result
    }
}
