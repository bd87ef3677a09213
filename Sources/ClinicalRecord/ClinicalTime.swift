public import CanonicalJSON

/// A calendar date, `YYYY-MM-DD`, with no time zone: the day a session was held, a goal's
/// target date, a consent's expiry.
public struct LocalDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, JSONSchemaProviding {
    /// Days since 1970-01-01 (negative before).
    public let dayNumber: Int

    /// Makes the date `year`-`month`-`day`; `nil` when it is not a real calendar date.
    public init?(year: Int, month: Int, day: Int) {
        guard (1900...9999).contains(year), (1...12).contains(month),
            (1...LocalDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        dayNumber = LocalDate.days(year: year, month: month, day: day)
    }

    /// The date `dayNumber` days after 1970-01-01.
    public init(dayNumber: Int) { self.dayNumber = dayNumber }

    /// Parses `YYYY-MM-DD`.
    public init?(_ text: String) {
        var text = text
        guard let date = text.withUTF8({ LocalDate(utf8: $0) }) else { return nil }
        self = date
    }

    /// Parses `YYYY-MM-DD` from its UTF-8 bytes (no copy of them).
    init?(utf8 b: UnsafeBufferPointer<UInt8>) {
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D,
            let y = LocalDate.digits(b, 0..<4), let m = LocalDate.digits(b, 5..<7), let d = LocalDate.digits(b, 8..<10)
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The decimal number written by `b[range]`, all ASCII digits; `nil` otherwise.
    static func digits(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var v = 0
        for i in range {
            let c = b[i]
            guard c >= 0x30 && c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from the civil date to 1970-01-01 (Howard Hinnant's days_from_civil algorithm).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Year, month and day.
    public var components: (year: Int, month: Int, day: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// The date `n` days later (earlier when negative).
    public func adding(days n: Int) -> LocalDate { LocalDate(dayNumber: dayNumber + n) }

    /// Days from `other` to this date.
    public func days(since other: LocalDate) -> Int { dayNumber - other.dayNumber }

    /// The first day of this date's month.
    /// (Computed from the day number, so it holds past the years `init(year:month:day:)` accepts.)
    public var monthStart: LocalDate { adding(days: 1 - components.day) }

    public var description: String {
        let c = components
        func pad(_ v: Int, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))"
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool { a.dayNumber < b.dayNumber }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        guard let d = LocalDate(try c.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "date rule: a calendar date YYYY-MM-DD")
        }
        self = d
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public static var jsonSchema: JSONValue { ["type": "string", "format": "date"] }
    public static var jsonSchemaExample: JSONValue { "2026-01-01" }
}

/// An instant in RFC 3339 UTC form with `Z` and at most microsecond precision, the form of
/// the stored `time` and `recordedat` attributes.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, JSONSchemaProviding {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public let microseconds: Int64

    /// The instant `microseconds` after the epoch.
    public init(microseconds: Int64) { self.microseconds = microseconds }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z`.
    public init?(_ text: String) {
        var text = text
        guard let t = text.withUTF8({ Timestamp(utf8: $0) }) else { return nil }
        self = t
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z` from its UTF-8 bytes (no copy of them).
    public init?(utf8 b: UnsafeBufferPointer<UInt8>) {
        guard b.count >= 20, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A, b[b.count - 1] == 0x5A,
            let date = LocalDate(utf8: UnsafeBufferPointer(rebasing: b[0..<10])),
            let h = LocalDate.digits(b, 11..<13), let mi = LocalDate.digits(b, 14..<16),
            let s = LocalDate.digits(b, 17..<19), h < 24, mi < 60, s < 60
        else { return nil }
        var micros = 0
        if b.count > 20 {
            let frac = 20..<(b.count - 1)
            guard b[19] == 0x2E, (1...6).contains(frac.count), let f = LocalDate.digits(b, frac) else { return nil }
            micros = f
            for _ in frac.count..<6 { micros *= 10 }
        } else if b[19] != 0x5A {
            return nil
        }
        microseconds = Int64(((date.dayNumber * 24 + h) * 60 + mi) * 60 + s) * 1_000_000 + Int64(micros)
    }

    /// The calendar date (UTC) of this instant.
    public var date: LocalDate {
        LocalDate(dayNumber: Int((microseconds >= 0 ? microseconds : microseconds - 86_399_999_999) / 86_400_000_000))
    }

    /// Seconds from `other` to this instant.
    public func seconds(since other: Timestamp) -> Double { Double(microseconds - other.microseconds) / 1_000_000 }

    public var description: String {
        let day = date
        let rest = microseconds - Int64(day.dayNumber) * 86_400_000_000
        let secs = Int(rest / 1_000_000), frac = Int(rest % 1_000_000)
        func pad(_ v: Int, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        var out = "\(day)T\(pad(secs / 3600, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2))"
        if frac != 0 {
            var f = pad(frac, 6)
            while f.hasSuffix("0") { f.removeLast() }
            out += "." + f
        }
        return out + "Z"
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        guard let t = Timestamp(try c.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "time rule: RFC 3339 in UTC with Z, at most microseconds")
        }
        self = t
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public static var jsonSchema: JSONValue { ["type": "string", "format": "date-time"] }
    public static var jsonSchemaExample: JSONValue { "2026-01-01T00:00:00Z" }
}
