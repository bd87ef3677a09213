/// The HTML form of an ``AuditResult``: one self-contained page, inline CSS, no scripts.
///
/// It holds what the JSON report holds (sizes, hashes, positions, checkpoint status), never
/// event data, and prints readably (no backgrounds needed, tables do not split rows).
///
/// ```swift
/// try ReportPage(result: result).html.write(toFile: "report.html", atomically: true, encoding: .utf8)
/// ```
struct ReportPage {
    /// The result to show.
    let result: AuditResult

    /// The complete page.
    var html: String {
        let verdict = result.isVerified ? "Verified" : "NOT verified"
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>imr-audit report: \(escape(result.target))</title>
            <style>
            body { font: 11pt/1.4 system-ui, sans-serif; margin: 2em; color: #111; }
            h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
            .verdict { font-weight: bold; padding: .3em .6em; border: 2px solid; display: inline-block; }
            .ok { color: #0a5c2b; } .bad { color: #9b1111; }
            table { border-collapse: collapse; width: 100%; }
            th, td { border: 1px solid #999; padding: .25em .5em; text-align: left; vertical-align: top; }
            tr { break-inside: avoid; page-break-inside: avoid; }
            code { font: 9pt ui-monospace, monospace; overflow-wrap: anywhere; }
            @media print { body { margin: 0; } a { color: inherit; } }
            </style>
            </head>
            <body>
            <h1>imr-audit report</h1>
            <p class="verdict \(result.isVerified ? "ok" : "bad")">\(verdict)</p>
            <table>
            \(row("Target", result.target))
            \(row("Origin", result.origin ?? "unknown"))
            \(row("Events", String(result.size)))
            \(row("Root (recomputed)", result.root.hex, code: true))
            \(row("Verifier key", (result.verifierKey ?? "none") + " (" + result.keySource + ")", code: true))
            \(row("Summary", result.summary))
            </table>
            <h2>Checkpoints (\(result.verifiedCheckpoints) of \(result.checkpoints.count) verified)</h2>

            """
        if result.checkpoints.isEmpty {
            page += "<p>No checkpoints.</p>\n"
        } else {
            page += "<table>\n<tr><th>Source</th><th>Size</th><th>Root</th><th>Status</th></tr>\n"
            for checkpoint in result.checkpoints {
                let size = (checkpoint.checkpoint?.size ?? checkpoint.storedSize).map(String.init) ?? "?"
                let status =
                    checkpoint.isVerified
                    ? "<span class=\"ok\">verified</span>"
                    : "<span class=\"bad\">" + checkpoint.problems.map { escape($0.description) }.joined(separator: "<br>")
                        + "</span>"
                page += "<tr><td>\(escape(checkpoint.source))</td><td>\(size)</td>"
                page += "<td><code>\(escape(checkpoint.checkpoint?.rootHash.hex ?? "unopened"))</code></td><td>\(status)</td></tr>\n"
            }
            page += "</table>\n"
        }
        page += "<h2>Violations (\(result.violations.count + result.violationsOmitted))</h2>\n"
        if result.violations.isEmpty {
            page += "<p class=\"ok\">None.</p>\n"
        } else {
            page += "<table>\n<tr><th>Position</th><th>Kind</th><th>Subject</th><th>Expected</th><th>Found</th></tr>\n"
            for v in result.violations {
                page += "<tr><td>\(v.position.map(String.init) ?? "")</td><td>\(escape(v.kind))</td>"
                page += "<td>\(escape(v.subject ?? ""))</td><td><code>\(escape(v.expected))</code></td>"
                page += "<td><code>\(escape(v.found))</code></td></tr>\n"
            }
            page += "</table>\n"
            if result.violationsOmitted > 0 { page += "<p>… and \(result.violationsOmitted) more.</p>\n" }
        }
        page += "</body>\n</html>\n"
        return page
    }

    private func row(_ name: String, _ value: String, code: Bool = false) -> String {
        let shown = code ? "<code>\(escape(value))</code>" : escape(value)
        return "<tr><th>\(escape(name))</th><td>\(shown)</td></tr>"
    }

    /// Escapes the five HTML special characters.
    private func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
