import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Environment {
    private static let registry = Mutex<[String: WeakEnvironment]>([:])

    /// Returns the environment already open at `path` in this process, or opens it.
    ///
    /// lmdb.h forbids opening one environment twice in a process; every component that opens
    /// a store goes through here, so a CLI command, a server and a test can share one.
    /// The configuration of the first open wins; a read-only request is served by a
    /// writable environment when one is already open.
    public static func shared(path: String, configuration: Configuration = .init()) throws -> Environment {
        let key = realPath(path) ?? path
        return try registry.withLock { table in
            if let env = table[key]?.environment { return env }
            let env = try Environment(path: path, configuration: configuration)
            table[key] = WeakEnvironment(environment: env)
            table = table.filter { $0.value.environment != nil }
            return env
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

private struct WeakEnvironment {
    weak var environment: Environment?
}
