import ArgumentParser
import Foundation
import RecordHTTP

extension Imr {
    /// `imr token`: bearer tokens of the HTTP API, stored as SHA-256 hashes in `<store>/tokens.json`.
    struct Token: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create, list or revoke the HTTP API's bearer tokens.",
            subcommands: [Create.self, List.self, Revoke.self])

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Issue a token and print it once (only its SHA-256 is kept).")
            @OptionGroup var store: StoreArgument

            @Option(help: "practitioner, supervisor, administrator, auditor or integrator.")
            var role: String

            @Option(help: "Limit the token to one program.")
            var program: String?

            @Option(help: "The user id recorded with its appends and reads (default token-<id>).")
            var user: String?

            func validate() throws {
                if Role(rawValue: role) == nil {
                    throw ValidationError("--role must be one of " + Role.allCases.map(\.rawValue).joined(separator: ", "))
                }
                do { try TokenStore.validate(program: program, user: user) } catch { throw ValidationError(error.description) }
            }

            func run() throws {
                try store.requireStore()
                do {
                    let (token, record) = try TokenStore(store: store.store).create(role: Role(rawValue: role)!, program: program, user: user)
                    print(token)
                    printError("token \(record.id): role \(record.role.rawValue), program \(record.program ?? "all"), user \(record.user). It is shown only now.")
                } catch let error as TokenStoreError {
                    printError("error: \(error.description)")
                    throw ExitCode.failure
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List tokens (ids, roles, programs, users; never the tokens).")
            @OptionGroup var store: StoreArgument
            func run() throws {
                try store.requireStore()
                do {
                    let records = try TokenStore(store: store.store).list()
                    if records.isEmpty { printError("no tokens in \(store.store) (`imr token create` issues one)") }
                    for r in records {
                        print([r.id, r.role.rawValue, r.program ?? "*", r.user, r.created, r.revoked.map { "revoked " + $0 } ?? "active"]
                            .joined(separator: "  "))
                    }
                } catch let error as TokenStoreError {
                    printError("error: \(error.description)")
                    throw ExitCode(74)
                }
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a token by its id; a running server refuses it at once.")
            @OptionGroup var store: StoreArgument
            @Argument(help: "The token id (from `imr token list`).")
            var id: String
            func run() throws {
                try store.requireStore()
                do {
                    if try TokenStore(store: store.store).revoke(id: id) { print("revoked \(id)") } else {
                        printError("error: no active token \(id)")
                        throw ExitCode.failure
                    }
                } catch let error as TokenStoreError {
                    printError("error: \(error.description)")
                    throw ExitCode(74)
                }
            }
        }
    }
}
