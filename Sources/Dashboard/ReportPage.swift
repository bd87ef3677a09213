public import ClinicalRecord
public import EventLog
import Foundation
public import Projections

/// The program dashboard: one self-contained HTML page (inline CSS and SVG, no network) with
/// fidelity per site over time, caseloads against the ratio rules, goal follow-up compliance,
/// the participation funnel, and the audit status. `imr report` writes it to a file (no
/// scripts at all); `imr serve` serves the same page at `/` with one small inline script that
/// refreshes it when the log grows (``html(live:)``).
///
/// The page is aggregate: it names programs, teams, groups and practitioners, never a consumer.
public struct ReportPage: Sendable {
    /// Fidelity of one site at the end of each review window.
    public struct SiteFidelity: Sendable {
        public var program: String
        public var name: String
        public var points: [(date: LocalDate, report: FidelityReport)]
    }

    /// The audit status shown at the end of the page.
    public struct AuditStatus: Sendable {
        public var events: UInt64
        public var rootHash: String
        public var verified: Bool
        public var firstViolation: String?
        public var checkpoint: String?
        public var checkpointSize: UInt64?
        /// When every stored byte was last read and verified (ISO 8601); later events were
        /// checked as they were appended.
        public var lastFullCheck: String? = nil
    }

    public var title: String
    public var asOf: LocalDate
    public var generated: String
    public var sites: [SiteFidelity]
    public var caseload: CaseloadReport
    public var goals: GoalsReport
    public var participation: ParticipationReport
    public var audit: AuditStatus
    /// The log position the projections were taken at.
    public var position: UInt64

    /// Gathers everything the page shows from a snapshot and the log, for every program or
    /// only `program`. The audit status comes from `audit` when given (a standing audit that
    /// reads only what was appended since its last check), else from verifying the whole log.
    public static func gather(snapshot: ProjectionSnapshot, log: any VerifiableEventLog, asOf: LocalDate, title: String = "IMR program dashboard",
                              program: ProgramID? = nil, audit standing: ChainAudit? = nil) throws -> ReportPage {
        let caseload = snapshot.caseload(asOf: asOf, program: program)
        var sites: [SiteFidelity] = []
        for p in caseload.programs {
            guard let id = ProgramID(p.program) else { continue }
            sites.append(SiteFidelity(program: p.program, name: p.name, points: snapshot.fidelityHistory(program: id, asOf: asOf)))
        }
        let formatter = ISO8601DateFormatter()
        let status = try (standing ?? ChainAudit(log: log)).check()
        let verifier = status.verifier
        let checkpoint = try log.latestCheckpoint()
        // What the verifier read: the stored root at that size was compared inside the check,
        // so events appended meanwhile cannot make a sound record look altered.
        let audit = AuditStatus(events: verifier.count, rootHash: verifier.rootHash.hex, verified: verifier.violations.isEmpty,
                                firstViolation: verifier.violations.first?.description, checkpoint: checkpoint?.note, checkpointSize: checkpoint?.treeSize,
                                lastFullCheck: formatter.string(from: status.lastFullCheck))
        return ReportPage(title: title, asOf: asOf, generated: formatter.string(from: Date()), sites: sites, caseload: caseload,
                          goals: snapshot.goals(asOf: asOf, from: asOf.adding(days: -365), program: program),
                          participation: snapshot.participation(asOf: asOf, program: program), audit: audit, position: snapshot.position)
    }

    /// The clinical date a page shows by default: the latest occurred-at date among the last
    /// 200 events of the log (a synthetic or historical record ends before today), or nil for
    /// an empty log.
    public static func lastClinicalDate(_ log: any VerifiableEventLog) throws -> LocalDate? {
        let size = try log.currentHead().treeSize
        guard size > 0 else { return nil }
        let tail = try log.readEvents(from: size > 200 ? size - 200 : 0, limit: 200)
        return tail.compactMap { Timestamp($0.time)?.date }.max()
    }

    static let css = """
        body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
        h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;margin-top:32px;border-bottom:2px solid #2e86c1;padding-bottom:4px}
        h3{font-size:15px;margin:8px 0}.muted{color:#666;font-size:13px}
        .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:16px}
        figure{margin:0;border:1px solid #ddd;border-radius:6px;padding:10px;break-inside:avoid;page-break-inside:avoid}
        figcaption{font-size:13px;margin-top:4px}svg.chart{width:100%;height:auto;max-width:560px;display:block}
        table{border-collapse:collapse;font-size:12px;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 6px;text-align:right}
        th:first-child,td:first-child{text-align:left}th{background:#f4f6f7}
        .item{display:inline-block;width:18px;height:14px;font-size:9px;text-align:center;color:#fff;margin-right:1px}
        .ok{color:#1e8449;font-weight:bold}.bad{color:#c0392b;font-weight:bold}.band{font-weight:bold}
        .kpis{display:flex;gap:16px;flex-wrap:wrap}.kpi{border:1px solid #ddd;border-radius:6px;padding:8px 14px}.kpi b{font-size:22px;display:block}
        pre{font-size:11px;background:#f8f9f9;padding:8px;overflow-x:auto}
        .signout{float:right;font-size:13px}
        @media print{body{margin:0;max-width:none}h2{break-after:avoid}.grid{grid-template-columns:1fr 1fr}.signout{display:none}}
        """

    static func itemColor(_ score: Int) -> String {
        switch score { case 5: "#1e8449"; case 4: "#52be80"; case 3: "#f4d03f"; case 2: "#e67e22"; default: "#c0392b" }
    }

    /// The script of the served page: on each `position` event of `/dashboard/live` that differs
    /// from the page's, it fetches `/` again and swaps in the new `<main>` (one fetch at a time).
    static let liveScript = """
        (function(){
          var status=document.getElementById('live-status'),busy=false,again=false;
          function current(){return document.getElementById('dashboard').getAttribute('data-position');}
          function refresh(){
            if(busy){again=true;return;}busy=true;
            fetch('/',{credentials:'same-origin',cache:'no-store'}).then(function(r){
              if(r.status!==200){throw new Error('status '+r.status);}return r.text();
            }).then(function(t){
              var next=new DOMParser().parseFromString(t,'text/html').getElementById('dashboard');
              if(next){document.getElementById('dashboard').replaceWith(next);}
              status.textContent='live · updated '+new Date().toLocaleTimeString();
            }).catch(function(){status.textContent='live updates paused: sign in again';}).finally(function(){
              busy=false;if(again){again=false;setTimeout(refresh,250);}
            });
          }
          var source=new EventSource('/dashboard/live');
          source.addEventListener('position',function(e){if(e.data!==current()){refresh();}});
          source.onopen=function(){status.textContent='live';};
          source.onerror=function(){status.textContent='reconnecting…';};
        })();
        """

    /// The page. `live` adds the served dashboard's parts: a sign-out button, a live status and
    /// the refresh script; without it the page has no script at all.
    public func html(live: Bool = false) -> String {
        let e = SVG.escape
        var out = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(e(title))</title>"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>\(Self.css)</style></head><body>"
        if live {
            out += "<form class=\"signout\" method=\"post\" action=\"/session/end\"><span id=\"live-status\" class=\"muted\">connecting…</span> "
            out += "<button type=\"submit\">Sign out</button></form>"
        }
        out += "<main id=\"dashboard\" data-position=\"\(position)\">"
        out += "<h1>\(e(title))</h1><p class=\"muted\">As of \(asOf) · generated \(e(generated)) · \(audit.events) events in the record</p>"

        // Key figures.
        let p = participation.programs
        out += "<div class=\"kpis\">"
        out += "<div class=\"kpi\" id=\"kpi-sites\"><b>\(sites.count)</b>sites</div>"
        out += "<div class=\"kpi\" id=\"kpi-active\"><b>\(p.map(\.active).reduce(0, +))</b>active consumers</div>"
        out += "<div class=\"kpi\" id=\"kpi-enrolled\"><b>\(p.map(\.enrolled).reduce(0, +))</b>ever enrolled</div>"
        out += "<div class=\"kpi\" id=\"kpi-sessions\"><b>\(p.map(\.sessions).reduce(0, +))</b>sessions</div>"
        out += "<div class=\"kpi\" id=\"kpi-audit\"><b class=\"\(audit.verified ? "ok" : "bad")\">\(audit.verified ? "verified" : "NOT verified")</b>audit</div>"
        out += "</div>"

        // Fidelity per site over time.
        out += "<h2 id=\"fidelity\">Fidelity per site over time</h2>"
        out += "<p class=\"muted\">Total = mean of the 13 items of the IMR Fidelity Scale, computed from the record for each 6-month review window. "
        out += "Items 1–4 use the published anchors; items 5–13 are provisional scores from local thresholds. ≥ 4 high, 3–3.9 moderate, &lt; 3 low.</p>"
        out += "<div class=\"grid\">"
        for site in sites {
            let labels = site.points.map { "\($0.date)" }
            let chart = SVG.lineChart(
                title: "Fidelity of \(site.name)", labels: labels,
                series: [.init(name: "computed from the record", points: site.points.map { ("\($0.date)", $0.report.total) }, color: "#1f4e79"),
                         .init(name: "external rater", points: site.points.compactMap { p in p.report.raterReviews.last.map { ("\(p.date)", $0.total) } },
                               color: "#d35400", dashed: true)],
                yRange: 1...5, bands: [(4, 5, "#abebc6", "high"), (3, 4, "#fcf3cf", "moderate"), (1, 3, "#f5b7b1", "low")])
            out += "<figure class=\"site-chart\" data-program=\"\(e(site.program))\">\(chart)<figcaption><b>\(e(site.name))</b> (\(e(site.program)))"
            if let last = site.points.last {
                out += " — latest total <span class=\"site-total\">\(String(format: "%.2f", last.report.total))</span>, <span class=\"band\">\(e(last.report.band))</span>"
                out += "<br>Items 1–13: " + last.report.items.map {
                    "<span class=\"item\" style=\"background:\(Self.itemColor($0.score))\" title=\"item \($0.number): \($0.score)\">\($0.score)</span>"
                }.joined()
                if let review = last.report.raterReviews.last {
                    out += "<br>Latest rater review (\(e(review.raterKind)), \(review.date)): <span class=\"rater-total\">\(String(format: "%.2f", review.total))</span>"
                }
            }
            out += "</figcaption></figure>"
        }
        out += "</div>"

        // Caseloads against the ratio rules.
        out += "<h2 id=\"caseload\">Caseloads against the ratio rules</h2><div class=\"grid\">"
        let firstYear = caseload.practitioners.filter(\.firstYear)
        out += "<figure>" + SVG.barChart(title: "Consumers with individual sessions per practitioner, program's first year",
                                          rows: firstYear.map { ($0.practitioner, Double($0.individual + $0.combined)) }, limit: 4, limitLabel: "limit 4")
        out += "<figcaption>In the program's first year, at most 4 consumers with individual sessions per practitioner (\(firstYear.filter(\.overFirstYearLimit).count) over)</figcaption></figure>"
        out += "<figure>" + SVG.barChart(title: "Group sizes", rows: caseload.groups.map { ($0.group, Double($0.members)) }, limit: 8, limitLabel: "limit 8")
        out += "<figcaption>Groups: at most 8 members (\(caseload.groups.filter(\.overGroupLimit).count) over)</figcaption></figure>"
        out += "<figure>" + SVG.barChart(title: "Practitioners per team", rows: caseload.teams.map { ($0.team, Double($0.practitioners)) }, limit: 8, limitLabel: "limit 8")
        out += "<figcaption>Teams: at most 8 practitioners; weekly group supervision (weeks missed of the last 4: "
        out += caseload.teams.map { "\(e($0.team)) \($0.weeksWithoutGroupSupervision)" }.joined(separator: ", ") + ")</figcaption></figure>"
        out += "</div>"
        out += "<table id=\"caseload-table\"><tr><th>program</th><th>individual</th><th>group</th><th>combined</th><th>groups</th><th>waiting referrals</th><th>oldest wait (days)</th></tr>"
        for r in caseload.programs {
            out += "<tr><td>\(e(r.name))</td><td>\(r.individual)</td><td>\(r.group)</td><td>\(r.combined)</td><td>\(r.groups)</td><td>\(r.waitingReferrals)</td><td>\(r.oldestWaitingDays.map(String.init) ?? "")</td></tr>"
        }
        out += "</table>"

        // Goal follow-up compliance.
        out += "<h2 id=\"goals\">Goal follow-up compliance</h2><div class=\"grid\">"
        out += "<figure>" + SVG.barChart(title: "Monthly goal follow-up compliance (%)",
                                          rows: goals.programs.map { ($0.program, $0.monthlyCompliance ?? 0) }, limit: 100, limitLabel: "100%")
        out += "<figcaption>Goal-months with at least one review, \(goals.from) to \(goals.asOf); \(goals.overdue.count) open goals overdue (no review in 30 days)</figcaption></figure></div>"
        out += "<table id=\"goals-table\"><tr><th>program</th><th>open</th><th>achieved</th><th>withdrawn</th><th>overdue</th><th>compliance %</th></tr>"
        for r in goals.programs {
            out += "<tr><td>\(e(r.program))</td><td>\(r.open)</td><td>\(r.achieved)</td><td>\(r.withdrawn)</td><td>\(r.overdue)</td><td>\(r.monthlyCompliance.map { String($0) } ?? "")</td></tr>"
        }
        out += "</table>"

        // Participation funnel.
        out += "<h2 id=\"participation\">Participation</h2><div class=\"grid\">"
        let totals = (referred: p.map(\.referred).reduce(0, +), enrolled: p.map(\.enrolled).reduce(0, +),
                      active: p.map(\.active).reduce(0, +), completed: p.map(\.completed).reduce(0, +), dropped: p.map(\.dropped).reduce(0, +))
        out += "<figure>" + SVG.funnel(title: "Participation funnel", stages: [("referred", totals.referred), ("enrolled", totals.enrolled),
                                                                             ("active now", totals.active), ("completed", totals.completed), ("dropped out", totals.dropped)])
        out += "<figcaption>From referral to completion, all sites</figcaption></figure></div>"
        out += "<table id=\"participation-table\"><tr><th>program</th><th>referred</th><th>enrolled</th><th>active</th><th>completed</th><th>dropped</th><th>sessions</th><th>hours</th><th>median days referral→first session</th></tr>"
        for r in p {
            out += "<tr><td>\(e(r.program))</td><td>\(r.referred)</td><td>\(r.enrolled)</td><td>\(r.active)</td><td>\(r.completed)</td><td>\(r.dropped)</td><td>\(r.sessions)</td><td>\(SVG.format(r.hours))</td><td>\(r.medianDaysReferralToFirstSession.map(String.init) ?? "")</td></tr>"
        }
        out += "</table>"

        // Audit.
        out += "<h2 id=\"audit\">Audit status</h2>"
        out += "<p>Chain and Merkle tree over \(audit.events) events: <span class=\"\(audit.verified ? "ok" : "bad")\" id=\"audit-status\">\(audit.verified ? "verified" : "NOT verified")</span>"
        if let v = audit.firstViolation { out += " — first violation: \(e(v))" }
        out += "<br>Root hash <code>\(audit.rootHash)</code>"
        if let at = audit.lastFullCheck { out += "<br><span class=\"muted\">Whole record last re-read and verified at \(e(at)); events since were verified as they were appended.</span>" }
        out += "</p>"
        if let cp = audit.checkpoint, let size = audit.checkpointSize {
            out += "<p>Latest signed checkpoint (tree size \(size)):</p><pre id=\"checkpoint\">\(e(cp))</pre>"
        } else {
            out += "<p>No signed checkpoint yet (<code>imr checkpoint</code> makes one).</p>"
        }
        out += "<p class=\"muted\">Verify independently with <code>imr-audit verify STORE --key KEY --checkpoint FILE</code>.</p>"
        out += "</main>"
        if live { out += "<script>\(Self.liveScript)</script>" }
        return out + "</body></html>"
    }
}
