#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Formats the wall clock as RFC 3339 UTC with microseconds: `2026-11-23T12:00:00.123456Z`.
enum RecordedAtClock {
    /// Microseconds since the Unix epoch, now.
    static func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec / 1000)
    }

    /// The RFC 3339 text for `micros` since the epoch (always 6 fraction digits, so text order is time order).
    static func format(micros: Int64) -> String {
        var secs = time_t(micros / 1_000_000)
        let frac = Int(micros % 1_000_000)
        var tm = tm()
        gmtime_r(&secs, &tm)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(Int(tm.tm_year) + 1900, 4))-\(pad(Int(tm.tm_mon) + 1, 2))-\(pad(Int(tm.tm_mday), 2))T"
            + "\(pad(Int(tm.tm_hour), 2)):\(pad(Int(tm.tm_min), 2)):\(pad(Int(tm.tm_sec), 2)).\(pad(frac, 6))Z"
    }

    /// Parses the store's own recorded-at text back to microseconds; nil when malformed.
    static func parse(_ text: String) -> Int64? {
        let u = Array(text.utf8)
        guard u.count == 27, u[26] == UInt8(ascii: "Z") else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard u[i] >= 0x30 && u[i] <= 0x39 else { return nil }
                v = v * 10 + Int(u[i] - 0x30)
            }
            return v
        }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13),
            let mi = num(14..<16), let s = num(17..<19), let f = num(20..<26)
        else { return nil }
        var t = tm()
        t.tm_year = Int32(y - 1900)
        t.tm_mon = Int32(mo - 1)
        t.tm_mday = Int32(d)
        t.tm_hour = Int32(h)
        t.tm_min = Int32(mi)
        t.tm_sec = Int32(s)
        let secs = timegm(&t)
        return Int64(secs) * 1_000_000 + Int64(f)
    }
}
