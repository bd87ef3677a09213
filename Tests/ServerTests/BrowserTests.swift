import ClinicalRecord
import Dashboard
import EventLog
import EventLogTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import ProgramSimulator
import Projections
import RecordCore
import RecordHTTP
import Testing

/// The report and the served dashboard, rendered by headless Chromium and read the way a person
/// reads them: the titles, one chart per site, and numbers that equal the projections.
@Suite("Dashboard in a real browser", .serialized)
struct BrowserTests {
    /// A three-site program over 13 months (two fidelity windows per site), recorded through the
    /// record core into a real store.
    static func program() async throws -> (TemporaryStore, LMDBEventLog) {
        let tmp = try TemporaryStore(prefix: "imr-browser")
        let log = try tmp.create()
        let core = RecordCore(log: log)
        let config = SimulationConfig(seed: 11, sites: 3, months: 13, consumersPerSite: 6, practitionersPerSite: 3,
                                      profiles: [.rising, .risingThenFalling, .high])
        for chunk in ProgramSimulator(config: config).commands().chunked(2000) {
            let outcome = try await core.executeBatch(chunk, by: Actor(user: "simulator", role: "administrator"), mode: .allOrNothing)
            for case .failure(let e) in outcome.lines { Issue.record("the simulation was refused: \(e)"); break }
        }
        return (tmp, log)
    }

    /// What the page must show, taken straight from the projections (not from the page's code).
    struct Expected {
        var programs: [String]
        var totals: [String: String]
        var active: Int, enrolled: Int, sessions: Int
        var referred: [String: Int]

        init(_ snapshot: ProjectionSnapshot, day: LocalDate) {
            let caseload = snapshot.caseload(asOf: day)
            programs = caseload.programs.map(\.program).sorted()
            totals = [:]
            for p in programs {
                if let last = snapshot.fidelityHistory(program: ProgramID(p)!, asOf: day).last {
                    totals[p] = String(format: "%.2f", last.report.total)
                }
            }
            let participation = snapshot.participation(asOf: day).programs
            active = participation.map(\.active).reduce(0, +)
            enrolled = participation.map(\.enrolled).reduce(0, +)
            sessions = participation.map(\.sessions).reduce(0, +)
            referred = Dictionary(uniqueKeysWithValues: participation.map { ($0.program, $0.referred) })
        }
    }

    /// Reads what the page shows.
    static let readPage = """
        var charts = Array.from(document.querySelectorAll('figure.site-chart')).map(function (f) {
          var t = f.querySelector('.site-total');
          var box = f.querySelector('svg') ? f.querySelector('svg').getBoundingClientRect() : {width: 0, height: 0};
          return {program: f.getAttribute('data-program'), svgs: f.querySelectorAll('svg').length,
                  total: t ? t.textContent : null, width: box.width, height: box.height};
        });
        var kpi = function (id) { var e = document.querySelector('#' + id + ' b'); return e ? e.textContent : null; };
        var referred = {};
        Array.from(document.querySelectorAll('#participation-table tr')).slice(1).forEach(function (r) {
          referred[r.cells[0].textContent] = Number(r.cells[1].textContent);
        });
        return {title: document.title, h1: document.querySelector('h1') ? document.querySelector('h1').textContent : null,
                h2: Array.from(document.querySelectorAll('h2')).map(function (e) { return e.textContent; }),
                charts: charts, active: kpi('kpi-active'), enrolled: kpi('kpi-enrolled'), sessions: kpi('kpi-sessions'),
                audit: document.getElementById('audit-status') ? document.getElementById('audit-status').textContent : null,
                referred: referred,
                position: document.getElementById('dashboard') ? document.getElementById('dashboard').getAttribute('data-position') : null};
        """

    /// Checks a rendered page against the projections.
    static func check(_ page: [String: Any], _ expected: Expected, title: String) {
        #expect(page["title"] as? String == title)
        #expect(page["h1"] as? String == title)
        let sections = page["h2"] as? [String] ?? []
        for section in ["Fidelity per site over time", "Caseloads against the ratio rules", "Goal follow-up compliance", "Participation", "Audit status"] {
            #expect(sections.contains(section), "section \(section) missing; the page has \(sections)")
        }
        let charts = page["charts"] as? [[String: Any]] ?? []
        #expect(charts.compactMap { $0["program"] as? String }.sorted() == expected.programs, "one chart per site")
        for chart in charts {
            let program = chart["program"] as? String ?? "?"
            #expect(chart["svgs"] as? Int == 1, "site \(program): one chart")
            #expect((chart["width"] as? Double ?? 0) > 100 && (chart["height"] as? Double ?? 0) > 50, "site \(program): the chart is drawn")
            #expect(chart["total"] as? String == expected.totals[program], "site \(program): latest fidelity total")
        }
        #expect(page["active"] as? String == String(expected.active))
        #expect(page["enrolled"] as? String == String(expected.enrolled))
        #expect(page["sessions"] as? String == String(expected.sessions))
        let referred = (page["referred"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.intValue }
        #expect(referred == expected.referred)
        #expect(page["audit"] as? String == "verified")
    }

    @Test("the report file, opened in Chromium, shows one fidelity chart per site and the projections' numbers")
    func report() async throws {
        let (tmp, log) = try await Self.program()
        defer { tmp.remove() }
        let views = try ProjectionStore.open(store: tmp.path, log: log)
        try views.catchUp()
        let snapshot = views.snapshot()
        let day = try #require(try ReportPage.lastClinicalDate(log))
        let expected = Expected(snapshot, day: day)
        #expect(expected.programs.count == 3)
        let file = tmp.path + "-report.html"
        try Data(try ReportPage.gather(snapshot: snapshot, log: log, asOf: day).html().utf8).write(to: URL(fileURLWithPath: file))

        let browser = try await WebDriver()
        do {
            try await browser.open("file://" + file)
            let page = try #require(try await browser.run(Self.readPage) as? [String: Any])
            Self.check(page, expected, title: "IMR program dashboard")
            #expect(try await browser.run("return document.scripts.length") as? Int == 0, "the report runs no script")
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
    }

    @Test("the served dashboard: sign-in refuses a practitioner, shows an administrator the projections, and updates live as the log grows")
    func served() async throws {
        let (tmp, log) = try await Self.program()
        defer { tmp.remove() }
        let tokens = TokenStore(store: tmp.path)
        let admin = try tokens.create(role: .administrator, user: "admin-1").token
        let practitioner = try tokens.create(role: .practitioner, user: "prac-1").token
        let server = try RecordServer(store: tmp.path, log: log, options: Fixture.options)
        let app = try server.makeApplication()
        try await app.test(.live) { client in
            let port = client.port!
            let browser = try await WebDriver()
            do {
                try await browser.open("http://127.0.0.1:\(port)/")
                #expect(try await browser.title() == "Sign in · IMR Ledger")

                try await browser.type(practitioner, into: "#token")
                try await browser.click("#sign-in")
                #expect(try await browser.wait(seconds: 10, for: "return !!document.getElementById('sign-in-error')"))
                let refusal = try await browser.run("return document.getElementById('sign-in-error').textContent") as? String ?? ""
                #expect(refusal.contains("practitioner role may not view the dashboard"))
                #expect(!refusal.contains(practitioner), "the page never repeats the token")

                try await browser.type(admin, into: "#token")
                try await browser.click("#sign-in")
                #expect(try await browser.wait(seconds: 10, for: "return document.title === 'IMR program dashboard'"))
                let day = try #require(try ReportPage.lastClinicalDate(log))
                try server.views.catchUp()
                let before = Expected(server.views.snapshot(), day: day)
                let page = try #require(try await browser.run(Self.readPage) as? [String: Any])
                Self.check(page, before, title: "IMR program dashboard")
                #expect(try await browser.wait(seconds: 10, for: "return document.getElementById('live-status').textContent.indexOf('live') === 0"),
                        "the live feed connects")

                // A referral arrives through the API; the open page follows without a reload.
                _ = try await browser.run("window.imrMarker = 42; return true")
                let program = before.programs[0]
                let referral = ReferralReceived(referralId: "r-browser-1", consumerId: "c-browser-1", programId: ProgramID(program)!,
                                                source: .treatmentTeam, reason: "asks for IMR", date: day)
                let api = APIClient(port: port, token: admin)
                let r = try await api.post("/v1/commands/receive-referral", json: try Fixture.command(referral, on: day, id: "browser-1"))
                #expect(r.status == 201, "\(r.text)")
                try server.views.catchUp()
                let after = Expected(server.views.snapshot(), day: day)
                #expect(after.referred[program] == (before.referred[program] ?? 0) + 1)
                let cell = "Array.from(document.querySelectorAll('#participation-table tr')).slice(1).some(function (r) { "
                    + "return r.cells[0].textContent === '\(program)' && Number(r.cells[1].textContent) === \(after.referred[program]!); })"
                #expect(try await browser.wait(seconds: 20, for: "return \(cell)"), "the page shows the new referral")
                #expect(try await browser.run("return window.imrMarker") as? Int == 42, "updated in place, not reloaded")
                let live = try #require(try await browser.run(Self.readPage) as? [String: Any])
                Self.check(live, after, title: "IMR program dashboard")
                #expect(live["position"] as? String == String(server.views.position))

                // Signing out ends the session: the form is back.
                try await browser.click(".signout button")
                #expect(try await browser.wait(seconds: 10, for: "return document.title === 'Sign in · IMR Ledger'"))
            } catch {
                await browser.quit()
                throw error
            }
            await browser.quit()
        }
    }
}
