/// The field rules of the stored format (docs/FORMAT.md). Each returns the broken rule or nil.
enum Validation {
    /// The longest event id, in bytes.
    static let maxIDBytes = 128
    /// The longest source, in bytes.
    static let maxSourceBytes = 256

    static func printableASCII(_ text: String, max: Int, what: String) -> String? {
        let u = text.utf8
        if u.isEmpty { return "\(what) must not be empty" }
        if u.count > max { return "\(what) must be at most \(max) bytes" }
        for b in u where b < 0x21 || b > 0x7E { return "\(what) may hold only printable ASCII without spaces" }
        return nil
    }

    static func eventID(_ id: String) -> String? { printableASCII(id, max: maxIDBytes, what: "id") }

    static func userID(_ id: String) -> String? { printableASCII(id, max: 128, what: "user id") }

    static func source(_ s: String) -> String? {
        if let rule = printableASCII(s, max: maxSourceBytes, what: "source") { return rule }
        for b in s.utf8 {
            switch b {
            case 0x22, 0x3C, 0x3E, 0x5C, 0x5E, 0x60, 0x7B, 0x7C, 0x7D:  // " < > \ ^ ` { | }
                return "source must be a URI-reference (RFC 3986)"
            default: continue
            }
        }
        return nil
    }

    static func role(_ r: String) -> String? {
        let u = r.utf8
        if u.isEmpty || u.count > 32 || !u.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) {
            return "role must be 1 to 32 lower-case ASCII letters"
        }
        return nil
    }

    /// `org.imr.session.recorded.v1`: dot-separated lower-case labels ending in `.v` and a version.
    static func type(_ t: String) -> String? {
        var t = t
        if t.withUTF8(isType) { return nil }
        return "type must be reverse-DNS lower-case labels ending in a version, like org.imr.session.recorded.v1"
    }

    /// At least two labels of `a-z 0-9 -`, then `v` and a positive decimal without leading zero.
    /// Checked in place: every append validates its events' types.
    private static func isType(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !u.isEmpty, u.count <= 128, let lastDot = u.lastIndex(of: UInt8(ascii: ".")) else { return false }
        var labels = 0
        var length = 0
        for b in u[..<lastDot] {
            if b == UInt8(ascii: ".") {
                if length == 0 { return false }
                labels += 1
                length = 0
            } else if (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D {
                length += 1
            } else {
                return false
            }
        }
        guard length > 0, labels + 1 >= 2 else { return false }
        let v = lastDot + 1
        guard u.count - v >= 2, u[v] == UInt8(ascii: "v"), u[v + 1] != UInt8(ascii: "0") else { return false }
        for b in u[(v + 1)...] where b < 0x30 || b > 0x39 { return false }
        return true
    }

    /// RFC 3339 date-time in UTC with `Z`, 0 to 6 fraction digits, a real calendar date.
    static func timestamp(_ t: String) -> String? {
        var t = t
        if t.withUTF8(isTimestamp) { return nil }
        return "time must be RFC 3339 in UTC like 2026-03-02T15:00:00Z, with at most 6 fraction digits"
    }

    private static func isTimestamp(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        guard u.count >= 20, u.count <= 27, u[u.count - 1] == UInt8(ascii: "Z") else { return false }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                let b = u[i]
                guard b >= 0x30 && b <= 0x39 else { return nil }
                v = v * 10 + Int(b - 0x30)
            }
            return v
        }
        guard u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"), u[10] == UInt8(ascii: "T"),
            u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
            let year = num(0..<4), let month = num(5..<7), let day = num(8..<10),
            let hour = num(11..<13), let minute = num(14..<16), let second = num(17..<19)
        else { return false }
        if u.count > 20 {
            guard u[19] == UInt8(ascii: "."), u.count >= 22, num(20..<(u.count - 1)) != nil else { return false }
        }
        guard year >= 1, (1...12).contains(month), hour < 24, minute < 60, second < 60 else { return false }
        let days: Int
        switch month {
        case 2: days = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: days = 30
        default: days = 31
        }
        return (1...days).contains(day)
    }
}
