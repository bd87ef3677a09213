import ClinicalRecord

// The records' canonical bytes, written by hand (``CanonicalWritable``): every stored
// property, snake_cased, in canonical member order, `nil` optionals left out. A property added
// to a record must be added here too; the differential test
// (Tests/ProjectionTests/CanonicalWriterTests.swift) fails until it is.

// MARK: Caseload

extension CaseloadProjection.Span: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("from", from)
            o.member("to", to)
        }
    }
}

extension CaseloadProjection.Assignment: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("from", from)
            o.member("practitioner", practitioner)
        }
    }
}

extension CaseloadProjection.Record: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("consumer", consumer)
            o.member("group", group)
            o.member("practitioner", practitioner)
            o.member("program", program)
            o.member("referral", referral)
            o.member("team", team)
        }
    }
}

extension CaseloadProjection.GroupInfo.Member: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("consumer", consumer)
            o.member("spans", spans)
        }
    }
}

extension CaseloadProjection.ProgramInfo: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("id", id)
            o.member("name", name)
            o.member("start", start)
        }
    }
}

extension CaseloadProjection.TeamInfo: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("formed", formed)
            o.member("group_supervision", groupSupervision)
            o.member("id", id)
            o.member("name", name)
            o.member("program", program)
        }
    }
}

extension CaseloadProjection.PractitionerInfo: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("id", id)
            o.member("program", program)
            o.member("role", role)
            o.member("span", span)
            o.member("team", team)
        }
    }
}

extension CaseloadProjection.ReferralInfo: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("accepted", accepted)
            o.member("decided", decided)
            o.member("id", id)
            o.member("program", program)
            o.member("received", received)
        }
    }
}

extension CaseloadProjection.ConsumerInfo: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("assignments", assignments)
            o.member("format", format)
            o.member("id", id)
            o.member("program", program)
            o.member("span", span)
        }
    }
}

extension CaseloadProjection.GroupInfo: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("facilitators", facilitators)
            o.member("id", id)
            o.member("members", memberList)
            o.member("program", program)
            o.member("start", start)
        }
    }
}

// MARK: Goals

extension GoalsProjection.Status: CanonicalWritable {
    func write(to out: inout CanonicalWriter) { out.string(rawValue) }
}

extension GoalsProjection.Goal: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("closed", closed)
            o.member("event_id", eventId)
            o.member("id", id)
            o.member("in_consumers_words", inConsumersWords)
            o.member("last_rating", lastRating)
            o.member("linked_to_plan", linkedToPlan)
            o.member("measurable", measurable)
            o.member("reviews", reviews)
            o.member("set", set)
            o.member("status", status)
        }
    }
}

extension GoalsProjection.Record: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("consumer", consumer)
            o.member("discharged", discharged)
            o.member("enrolled", enrolled)
            o.member("goals", goals)
            o.member("program", program)
        }
    }
}

// MARK: Participation

extension ParticipationProjection.Session: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("date", date)
            o.member("format", format)
            o.member("minutes", minutes)
            o.member("topics", topics)
        }
    }
}

extension ParticipationProjection.Completion: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("date", date)
            o.member("module", module)
        }
    }
}

extension ParticipationProjection.Record: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("accepted", accepted)
            o.member("consumer", consumer)
            o.member("discharge_reason", dischargeReason)
            o.member("discharged", discharged)
            o.member("enrolled", enrolled)
            o.member("missed", missed)
            o.member("modules_completed", modulesCompleted)
            o.member("program", program)
            o.member("received", received)
            o.member("referral", referral)
            o.member("referred_by", referredBy)
            o.member("sessions", sessions)
        }
    }
}

// MARK: Fidelity

extension FidelityProjection.Fact: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("date", date)
            o.member("event", event)
        }
    }
}

extension FidelityProjection.Marks: CanonicalWritable {
    func write(to out: inout CanonicalWriter) { out.integer(rawValue) }
}

extension FidelityProjection.Modules: CanonicalWritable {
    func write(to out: inout CanonicalWriter) { out.integer(rawValue) }
}

extension FidelityProjection.Session: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("date", date)
            o.member("event", event)
            o.member("format", format)
            o.member("goals_followed_up", goalsFollowedUp)
            o.member("group", group)
            o.member("marks", marks)
            o.member("practitioners", practitioners)
            o.member("session", session)
            o.member("topics", topics)
        }
    }
}

extension FidelityProjection.Goal: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("closed", closed)
            o.member("event", event)
            o.member("id", id)
            o.member("in_consumers_words", inConsumersWords)
            o.member("linked_to_plan", linkedToPlan)
            o.member("measurable", measurable)
            o.member("reviews", reviews)
            o.member("set", set)
        }
    }
}

extension FidelityProjection.Consumer: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("curriculum", curriculum)
            o.member("discharged", discharged)
            o.member("enrolled", enrolled)
            o.member("goals", goals)
            o.member("handouts", handouts)
            o.member("id", id)
            o.member("program", program)
            o.member("relapse_plans", relapsePlans)
            o.member("scale", scale)
            o.member("sessions", sessions)
            o.member("supporter_contacts", supporterContacts)
        }
    }
}

extension FidelityProjection.GroupSession: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("attended", attended)
            o.member("date", date)
            o.member("event", event)
            o.member("session", session)
        }
    }
}

extension FidelityProjection.Group: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("id", id)
            o.member("program", program)
            o.member("sessions", sessions)
        }
    }
}

extension FidelityProjection.Practitioner: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("id", id)
            o.member("program", program)
            o.member("trainings", trainings)
        }
    }
}

extension FidelityProjection.Program: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("curriculum", curriculum)
            o.member("id", id)
            o.member("scale", scale)
            o.member("start", start)
        }
    }
}

extension FidelityProjection.Review: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("date", date)
            o.member("event", event)
            o.member("rater_kind", raterKind)
            o.member("review_id", reviewId)
            o.member("scale_version", scaleVersion)
            o.member("scores", scores)
            o.member("total", total)
            o.member("visit_dates", visitDates)
        }
    }
}

extension FidelityProjection.Record: CanonicalWritable {
    func write(to out: inout CanonicalWriter) {
        out.object { o in
            o.member("consumer", consumer)
            o.member("group", group)
            o.member("practitioner", practitioner)
            o.member("program", program)
            o.member("reviews", reviews)
        }
    }
}
