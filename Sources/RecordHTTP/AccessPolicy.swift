import ClinicalRecord

/// What a request needs to be allowed: one capability per endpoint class. The role matrix
/// (``Role/capabilities``) is the single place that decides who has which; docs/API.md
/// prints it.
public enum Capability: String, CaseIterable, Sendable, Comparable {
    /// Program set-up commands: establish-program, form-team, add-practitioner, remove-practitioner.
    case programCommands = "commands:program"
    /// Intake and care-coordination commands: referrals, enrollment, assignment, discharge, groups, amendment requests.
    case intakeCommands = "commands:intake"
    /// Clinical commands about a consumer: sessions, attendance, goals, supporters, plans, corrections.
    case clinicalCommands = "commands:clinical"
    /// Staff development commands: record-training, record-supervision, record-fidelity-review.
    case supervisionCommands = "commands:supervision"
    /// Raw CloudEvents appended to a stream (integrator imports).
    case rawEvents = "events:raw"
    /// The log feed, paged and live.
    case feed
    /// Caseload, goals and participation queries.
    case queries
    /// The fidelity query.
    case fidelity
    /// One consumer's record with amendments applied.
    case consumerRecord = "consumer-record"
    /// The audit view of a consumer's record (originals and entries in error too).
    case auditView = "consumer-record:audit"
    /// Checkpoints and inclusion/consistency proofs.
    case integrity
    /// Prometheus metrics.
    case metrics
    /// The dashboard at `/` (signed in through the browser form).
    case dashboard

    public static func < (a: Capability, b: Capability) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The capability a command needs, by command name; `nil` for a command no token may
    /// send (`record-access`: the server writes access events itself) or an unknown name.
    public static func forCommand(_ name: String) -> Capability? {
        switch name {
        case "establish-program", "form-team", "add-practitioner", "remove-practitioner":
            .programCommands
        case "receive-referral", "accept-referral", "decline-referral", "enroll-consumer", "assign-practitioner",
            "transfer-practitioner", "discharge-consumer", "form-group", "change-group-membership",
            "receive-amendment-request", "decide-amendment-request":
            .intakeCommands
        case "record-training", "record-supervision", "record-fidelity-review":
            .supervisionCommands
        case "record-access":
            nil
        default:
            CommandCatalog.names.contains(name) ? .clinicalCommands : nil
        }
    }

    /// The commands of a command capability, sorted.
    public var commands: [String] {
        CommandCatalog.names.filter { Capability.forCommand($0) == self }
    }
}

extension Role {
    /// What the role may do. The matrix:
    ///
    /// | capability | practitioner | supervisor | administrator | auditor | integrator |
    /// |---|---|---|---|---|---|
    /// | commands:program | | | ✓ | | |
    /// | commands:intake | ✓ | ✓ | ✓ | | |
    /// | commands:clinical | ✓ | ✓ | | | |
    /// | commands:supervision | | ✓ | ✓ | | |
    /// | events:raw | | | | | ✓ |
    /// | feed | | | | ✓ | ✓ |
    /// | queries | ✓ | ✓ | ✓ | ✓ | |
    /// | fidelity | | ✓ | ✓ | ✓ | |
    /// | consumer-record | ✓ | ✓ | | ✓ | |
    /// | consumer-record:audit | | | | ✓ | |
    /// | integrity | | | ✓ | ✓ | ✓ |
    /// | metrics | | | ✓ | ✓ | |
    /// | dashboard | | | ✓ | | |
    public var capabilities: Set<Capability> {
        switch self {
        case .practitioner: [.intakeCommands, .clinicalCommands, .queries, .consumerRecord]
        case .supervisor: [.intakeCommands, .clinicalCommands, .supervisionCommands, .queries, .fidelity, .consumerRecord]
        case .administrator: [.programCommands, .intakeCommands, .supervisionCommands, .queries, .fidelity, .integrity, .metrics, .dashboard]
        case .auditor: [.feed, .queries, .fidelity, .consumerRecord, .auditView, .integrity, .metrics]
        case .integrator: [.rawEvents, .feed, .integrity]
        }
    }

    /// The role matrix as a Markdown table (what docs/API.md shows).
    public static var matrixMarkdown: String {
        var out = "| capability | " + allCases.map(\.rawValue).joined(separator: " | ") + " |\n"
        out += "|---|" + allCases.map { _ in "---|" }.joined() + "\n"
        for c in Capability.allCases {
            out += "| `\(c.rawValue)` | " + allCases.map { $0.capabilities.contains(c) ? "✓" : "–" }.joined(separator: " | ") + " |\n"
        }
        return out
    }
}

/// The authenticated caller of a request.
public struct Principal: Sendable {
    /// The token's record (role, program, user).
    public var token: TokenRecord
    /// The role.
    public var role: Role { token.role }
    /// The program the token is limited to, if any.
    public var program: String? { token.program }
    /// The user id.
    public var user: String { token.user }
}
