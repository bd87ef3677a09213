import Foundation

/// Small inline-SVG charts: no scripts, no network, print well.
public enum SVG {
    /// Escapes text for HTML and SVG.
    public static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    static func n(_ v: Double) -> String { String(format: "%.1f", v) }

    /// One line series.
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: String, y: Double)]
        public var color: String
        /// Drawn dashed (a second, comparison series).
        public var dashed: Bool
        public init(name: String, points: [(x: String, y: Double)], color: String, dashed: Bool = false) {
            self.name = name; self.points = points; self.color = color; self.dashed = dashed
        }
    }

    /// A line chart over shared x labels, y from `yRange`, with optional shaded bands
    /// (`[(from, to, color, label)]`) such as the fidelity bands.
    public static func lineChart(title: String, labels: [String], series: [Series], yRange: ClosedRange<Double>,
                                 bands: [(Double, Double, String, String)] = [], width: Int = 360, height: Int = 200) -> String {
        let left = 36.0, right = 12.0, top = 24.0, bottom = 30.0
        let w = Double(width) - left - right, h = Double(height) - top - bottom
        func x(_ i: Int) -> Double { labels.count <= 1 ? left + w / 2 : left + w * Double(i) / Double(labels.count - 1) }
        func y(_ v: Double) -> Double { top + h * (1 - (v - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(escape(title))\" class=\"chart\">"
        out += "<title>\(escape(title))</title>"
        for (lo, hi, color, label) in bands {
            out += "<rect x=\"\(n(left))\" y=\"\(n(y(hi)))\" width=\"\(n(w))\" height=\"\(n(y(lo) - y(hi)))\" fill=\"\(color)\" opacity=\"0.35\"/>"
            out += "<text x=\"\(n(left + w - 4))\" y=\"\(n(y(hi) + 11))\" font-size=\"9\" text-anchor=\"end\" fill=\"#555\">\(escape(label))</text>"
        }
        var tick = yRange.lowerBound
        while tick <= yRange.upperBound + 1e-9 {
            out += "<line x1=\"\(n(left))\" x2=\"\(n(left + w))\" y1=\"\(n(y(tick)))\" y2=\"\(n(y(tick)))\" stroke=\"#ddd\"/>"
            out += "<text x=\"\(n(left - 6))\" y=\"\(n(y(tick) + 3))\" font-size=\"10\" text-anchor=\"end\">\(Int(tick))</text>"
            tick += 1
        }
        for (i, label) in labels.enumerated() {
            // The last label ends at its point, so it stays inside the chart.
            let anchor = labels.count > 1 && i == labels.count - 1 ? "end" : "middle"
            let lx = anchor == "end" ? x(i) + 6 : x(i)
            out += "<text x=\"\(n(lx))\" y=\"\(height - 10)\" font-size=\"9\" text-anchor=\"\(anchor)\">\(escape(label))</text>"
        }
        if series.count > 1 {
            var lx = left
            for s in series {
                out += "<line x1=\"\(n(lx))\" x2=\"\(n(lx + 14))\" y1=\"12\" y2=\"12\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"4 3\"" : "")/>"
                out += "<text x=\"\(n(lx + 18))\" y=\"15\" font-size=\"9\">\(escape(s.name))</text>"
                lx += 30 + Double(s.name.count) * 5
            }
        }
        for s in series {
            let idx = s.points.compactMap { p in labels.firstIndex(of: p.x).map { ($0, p.y) } }
            let path = idx.map { "\(n(x($0.0))),\(n(y($0.1)))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"4 3\"" : "") points=\"\(path)\"><title>\(escape(s.name))</title></polyline>"
            for (i, v) in idx {
                out += "<circle cx=\"\(n(x(i)))\" cy=\"\(n(y(v)))\" r=\"3\" fill=\"\(s.color)\"><title>\(escape(s.name)) \(escape(labels[i])): \(String(format: "%.2f", v))</title></circle>"
            }
        }
        return out + "</svg>"
    }

    /// Horizontal bars with an optional limit line (a ratio rule).
    public static func barChart(title: String, rows: [(label: String, value: Double)], limit: Double? = nil, limitLabel: String = "",
                                width: Int = 360) -> String {
        let rowH = 18.0, left = 110.0, right = 36.0, top = 20.0
        let height = Int(top + rowH * Double(max(rows.count, 1)) + 20)
        let maxV = max(rows.map(\.value).max() ?? 1, limit ?? 0, 1)
        let w = Double(width) - left - right
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(escape(title))\" class=\"chart\">"
        out += "<title>\(escape(title))</title>"
        for (i, r) in rows.enumerated() {
            let yy = top + rowH * Double(i)
            let over = limit.map { r.value > $0 } ?? false
            out += "<text x=\"\(n(left - 6))\" y=\"\(n(yy + 12))\" font-size=\"10\" text-anchor=\"end\">\(escape(r.label))</text>"
            out += "<rect x=\"\(n(left))\" y=\"\(n(yy + 2))\" width=\"\(n(w * r.value / maxV))\" height=\"\(n(rowH - 5))\" fill=\"\(over ? "#c0392b" : "#2e86c1")\"/>"
            out += "<text x=\"\(n(left + w * r.value / maxV + 4))\" y=\"\(n(yy + 12))\" font-size=\"10\">\(SVG.format(r.value))</text>"
        }
        if let limit {
            let lx = left + w * limit / maxV
            out += "<line x1=\"\(n(lx))\" x2=\"\(n(lx))\" y1=\"\(n(top - 4))\" y2=\"\(height - 14)\" stroke=\"#c0392b\" stroke-dasharray=\"4 3\"/>"
            out += "<text x=\"\(n(lx))\" y=\"\(n(top - 6))\" font-size=\"9\" text-anchor=\"middle\" fill=\"#c0392b\">\(escape(limitLabel))</text>"
        }
        return out + "</svg>"
    }

    /// A funnel: one bar per stage, narrowing.
    public static func funnel(title: String, stages: [(label: String, value: Int)], width: Int = 360) -> String {
        let rowH = 28.0, height = Int(rowH * Double(stages.count) + 10)
        let maxV = Double(max(stages.map(\.value).max() ?? 1, 1))
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(escape(title))\" class=\"chart\">"
        out += "<title>\(escape(title))</title>"
        for (i, s) in stages.enumerated() {
            let bw = (Double(width) - 110) * Double(s.value) / maxV
            let xx = (Double(width) - 110 - bw) / 2 + 100
            let yy = rowH * Double(i) + 4
            out += "<rect x=\"\(n(xx))\" y=\"\(n(yy))\" width=\"\(n(max(bw, 1)))\" height=\"\(n(rowH - 6))\" fill=\"#5d6d7e\"/>"
            out += "<text x=\"94\" y=\"\(n(yy + 16))\" font-size=\"11\" text-anchor=\"end\">\(escape(s.label))</text>"
            out += "<text x=\"\(n(xx + bw / 2))\" y=\"\(n(yy + 16))\" font-size=\"11\" text-anchor=\"middle\" fill=\"#fff\">\(s.value)</text>"
        }
        return out + "</svg>"
    }

    /// A number without a needless decimal part.
    public static func format(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v) }
}
