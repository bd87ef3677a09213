import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small W3C WebDriver client for the browser tests: it starts Debian's `chromedriver` on a
/// free port of 127.0.0.1 and drives headless Chromium through it, over the same raw-socket
/// HTTP client the server tests use.
///
/// `make test` installs `chromium` and `chromium-driver` when they are missing; a test that
/// cannot find them fails and says so (it does not skip).
final class WebDriver: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { var description: String }

    let process: Process
    let port: Int
    let session: String

    /// The browser's and the driver's paths, or a failure naming what is missing.
    static func locate() throws -> (driver: String, browser: String) {
        let fm = FileManager.default
        let drivers = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        let browsers = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
        guard let driver = drivers.first(where: fm.isExecutableFile(atPath:)) else {
            throw Failure(description: "chromedriver not found: `make test` installs the Debian packages chromium and chromium-driver")
        }
        guard let browser = browsers.first(where: fm.isExecutableFile(atPath:)) else {
            throw Failure(description: "chromium not found: `make test` installs the Debian packages chromium and chromium-driver")
        }
        return (driver, browser)
    }

    /// Starts the driver and a headless browser session with a window of `width`×`height`.
    init(width: Int = 1200, height: Int = 1600) async throws {
        let (driver, browser) = try Self.locate()
        port = try Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: driver)
        process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1", "--log-level=OFF"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var ready = false
        for _ in 0..<100 {
            if let r = try? await Self.call(port, "GET", "/status"), (r["value"] as? [String: Any])?["ready"] as? Bool == true { ready = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard ready else { process.terminate(); throw Failure(description: "chromedriver did not become ready on port \(port)") }
        let profile = FileManager.default.temporaryDirectory.path + "/imr-chromium-\(UUID().uuidString.lowercased())"
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            "goog:chromeOptions": [
                "binary": browser,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                         "--user-data-dir=\(profile)", "--window-size=\(width),\(height)"],
            ],
        ]]]
        do {
            let r = try await Self.call(port, "POST", "/session", capabilities)
            guard let value = r["value"] as? [String: Any], let id = value["sessionId"] as? String else {
                throw Failure(description: "no WebDriver session: \(r)")
            }
            session = id
        } catch {
            process.terminate()
            throw error
        }
    }

    /// Ends the browser session and stops the driver.
    func quit() async {
        _ = try? await Self.call(port, "DELETE", "/session/\(session)")
        process.terminate()
        // Not waitUntilExit(): it spins a run loop that a task on the cooperative pool may never see end.
        for _ in 0..<50 where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Opens `url` and waits for the page to load.
    func open(_ url: String) async throws { _ = try await command("POST", "url", ["url": url]) }

    /// The document's title.
    func title() async throws -> String { try await command("GET", "title") as? String ?? "" }

    /// Runs `script` (a function body) in the page and returns its JSON result.
    func run(_ script: String) async throws -> Any? { try await command("POST", "execute/sync", ["script": script, "args": []]) }

    /// Types `text` into the element matching `css`, as a person would.
    func type(_ text: String, into css: String) async throws {
        let element = try await find(css)
        _ = try await command("POST", "element/\(element)/clear", [:])
        _ = try await command("POST", "element/\(element)/value", ["text": text])
    }

    /// Clicks the element matching `css`.
    func click(_ css: String) async throws {
        let element = try await find(css)
        _ = try await command("POST", "element/\(element)/click", [:])
    }

    /// The PNG bytes of the current window.
    func screenshot() async throws -> Data {
        guard let text = try await command("GET", "screenshot") as? String, let data = Data(base64Encoded: text) else {
            throw Failure(description: "no screenshot")
        }
        return data
    }

    /// Waits up to `seconds` for `script` to return true.
    func wait(seconds: Double, for script: String) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await run(script) as? Bool == true { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    private func find(_ css: String) async throws -> String {
        let value = try await command("POST", "element", ["using": "css selector", "value": css])
        guard let object = value as? [String: Any], let id = object.values.first as? String else {
            throw Failure(description: "no element \(css)")
        }
        return id
    }

    private func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        let r = try await Self.call(port, method, "/session/\(session)/\(path)", body)
        if let value = r["value"] as? [String: Any], let error = value["error"] as? String {
            throw Failure(description: "WebDriver \(path): \(error): \(value["message"] as? String ?? "")")
        }
        return r["value"]
    }

    private static func call(_ port: Int, _ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        let headers = bytes == nil ? [:] : ["Content-Type": "application/json; charset=utf-8"]
        let result = try await offPool { try RawHTTP.request(port: port, method, path, headers: headers, body: bytes) }
        return result.object
    }

    /// A port nothing listens on now (bound to 0, read, released).
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Failure(description: "no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
