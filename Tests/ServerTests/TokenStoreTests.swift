import EventLogTesting
import Foundation
import RecordHTTP
import Testing

@Suite("The token file: changes made by another process take effect at the next request")
struct TokenStoreTests {
    @Test("a token created, revoked or deleted through another TokenStore (as `imr token` does) is seen at once")
    func changesFromElsewhere() throws {
        let tmp = try TemporaryStore(prefix: "tokens")
        defer { tmp.remove() }
        try FileManager.default.createDirectory(atPath: tmp.path, withIntermediateDirectories: true)
        let server = TokenStore(store: tmp.path)
        #expect(server.authenticate("imr_nothing") == nil)  // no file yet

        let cli = TokenStore(store: tmp.path)
        let (first, record) = try cli.create(role: .auditor, user: "a-1")
        #expect(server.authenticate(first)?.id == record.id)
        #expect(server.authenticate(first)?.role == .auditor)

        let (second, _) = try cli.create(role: .integrator, user: "i-1")
        #expect(server.authenticate(second)?.role == .integrator)
        #expect(server.authenticate(first)?.id == record.id)

        #expect(try cli.revoke(id: record.id))
        #expect(server.authenticate(first) == nil)
        #expect(server.authenticate(second)?.role == .integrator)

        try FileManager.default.removeItem(atPath: TokenStore.file(of: tmp.path))
        #expect(server.authenticate(second) == nil)

        let (third, _) = try cli.create(role: .practitioner, program: "p01", user: "u-3")
        #expect(server.authenticate(third)?.program == "p01")
        #expect(server.authenticate(second) == nil)
    }

    @Test("a token file rewritten in place (same inode) is re-read")
    func rewrittenInPlace() throws {
        let tmp = try TemporaryStore(prefix: "tokens")
        defer { tmp.remove() }
        try FileManager.default.createDirectory(atPath: tmp.path, withIntermediateDirectories: true)
        let server = TokenStore(store: tmp.path)
        let (token, _) = try TokenStore(store: tmp.path).create(role: .auditor, user: "a-1")
        #expect(server.authenticate(token) != nil)
        let path = TokenStore.file(of: tmp.path)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data("[]\n".utf8))
        try handle.close()
        #expect(server.authenticate(token) == nil)
    }
}
