import CanonicalJSON
import ClinicalRecord
import Testing

// Given/when/then for the record's rules (IMR.md section 6), accepted and refused paths.
// Every refusal is checked for its kind, rule and field, that it decides no events, and that
// its text never quotes the free-text values of the command.

@Suite("Referrals and enrollment")
struct ReferralEnrollmentTests {
    @Test("A session for a consumer without an active enrollment is refused")
    func sessionNeedsEnrollment() {
        // Referred and accepted, but never enrolled.
        let given = History(F.program() + [F.referral(), F.accept()])
        expectRefused(when(given.state, F.session(homework: secret)), rule: "session.requires-active-enrollment", field: "consumer_id")
        // A consumer the record has never seen.
        expectRefused(when(given.state, F.session(consumer: "c-unknown")), rule: "session.requires-active-enrollment", field: "consumer_id")
    }

    @Test("A session for an enrolled consumer becomes exactly that SessionRecorded")
    func sessionAccepted() throws {
        let given = History(F.enrolled())
        let note = F.session(homework: secret)
        let d = try #require(expectAccepted(when(given.state, note)))
        #expect(d.events.count == 1)
        #expect(d.events.first as? SessionRecorded == note)
        #expect(d.warnings.isEmpty)
    }

    @Test("Enrollment needs an accepted referral: missing, pending and declined referrals are refused")
    func enrollmentNeedsAcceptedReferral() {
        let noReferral = History(F.program())
        expectRefused(when(noReferral.state, F.enroll()), rule: "enrollment.requires-accepted-referral", field: "referral_id")
        let pending = History(F.program() + [F.referral()])
        expectRefused(when(pending.state, F.enroll()), rule: "enrollment.requires-accepted-referral", field: "referral_id")
        let declined = History(F.program() + [F.referral(), F.decline(reason: secret)])
        expectRefused(when(declined.state, F.enroll()), rule: "enrollment.requires-accepted-referral", field: "referral_id")
        let accepted = History(F.program() + [F.referral(), F.accept()])
        let d = expectAccepted(when(accepted.state, F.enroll()))
        #expect(d?.events.first as? ConsumerEnrolled == F.enroll())
    }

    @Test("Enrollment on another consumer's referral, or a second active enrollment, is refused")
    func enrollmentOtherRules() {
        let given = History(F.enrolled() + [F.referral("r2", consumer: F.other), F.accept("r2")])
        expectRefused(when(given.state, F.enroll(F.other, referral: "r1", enrollment: "e9")),
                      rule: "enrollment.referral-of-another-consumer", field: "referral_id")
        var second = given
        second.apply([F.referral("r3"), F.accept("r3")])
        expectRefused(when(second.state, F.enroll(referral: "r3", enrollment: "e3")), rule: "enrollment.already-active", field: "consumer_id")
        expectRefused(when(given.state, F.enroll(F.other, referral: "r2", enrollment: "e2", curriculum: .thirdEdition)),
                      rule: "enrollment.curriculum-of-program", field: "curriculum")
    }

    @Test("A referral has exactly one decision: a second accept or decline is refused")
    func oneDecision() {
        for first in [F.accept() as any RecordEvent, F.decline()] {
            let given = History(F.program() + [F.referral(), first])
            expectRefused(when(given.state, F.accept()), rule: "referral.one-decision", field: "referral_id")
            expectRefused(when(given.state, F.decline(reason: secret)), rule: "referral.one-decision", field: "referral_id")
        }
        let pending = History(F.program() + [F.referral()])
        expectAccepted(when(pending.state, F.decline(reason: secret)))
        expectAccepted(when(pending.state, F.accept()))
        expectRefused(when(pending.state, F.accept("r-unknown")), rule: "referral.unknown", field: "referral_id")
    }

    @Test("A decline needs a non-empty reason")
    func declineNeedsReason() {
        let pending = History(F.program() + [F.referral()])
        expectRefusedWith(when(pending.state, F.decline(reason: "  ")), rule: "field.not-empty", field: "reason")
    }
}

@Suite("Goals: open → achieved | withdrawn")
struct GoalTests {
    static let rated = GoalProgressRated(goalId: "g1", consumerId: F.consumer, rating: 3, note: secret, ratedBy: F.user, date: day("2026-02-01"))
    static let revised = GoalRevised(goalId: "g1", consumerId: F.consumer, change: secret, date: day("2026-02-01"))
    static let achieved = GoalAchieved(goalId: "g1", consumerId: F.consumer, note: secret, date: day("2026-02-02"))
    static let withdrawn = GoalWithdrawn(goalId: "g1", consumerId: F.consumer, reason: secret, date: day("2026-02-02"))
    static let followUp = F.session("s9", date: day("2026-02-03"), goals: ["g1"], homework: secret)

    @Test("An open goal can be revised, rated, followed up, achieved or withdrawn")
    func openGoalAccepts() {
        let given = History(F.enrolled() + [F.goal()])
        for e in [Self.rated as any RecordEvent, Self.revised, Self.achieved, Self.withdrawn, Self.followUp] {
            let d = expectAccepted(when(given.state, e))
            #expect(d?.events.count == 1)
        }
    }

    @Test("After closure nothing follows: revise, rate, achieve, withdraw and follow-up are refused with goal.closed",
          arguments: [GoalTests.achieved as any RecordEvent, GoalTests.withdrawn])
    func closedGoalRefuses(closure: any RecordEvent) {
        let given = History(F.enrolled() + [F.goal(), closure])
        // A rating or revision dated after the closure (one dated before it is a late entry
        // about an open goal: see lateEntriesJudgedOnTheirDay).
        var rated = Self.rated, revised = Self.revised
        rated.date = day("2026-02-03"); revised.date = day("2026-02-03")
        for e in [rated as any RecordEvent, revised, Self.achieved, Self.withdrawn] {
            expectRefused(when(given.state, e), rule: "goal.closed", field: "goal_id")
        }
        expectRefused(when(given.state, Self.followUp), rule: "goal.closed", field: "goals_followed_up[0]")
    }

    @Test("Operations on a goal the consumer does not have are refused with goal.unknown")
    func unknownGoal() {
        let given = History(F.enrolled() + [F.goal(), F.referral("r2", consumer: F.other), F.accept("r2"),
                                            F.enroll(F.other, referral: "r2", enrollment: "e2"), F.goal("g2", consumer: F.other)])
        let noGoals = History(F.enrolled())
        for e in [Self.rated as any RecordEvent, Self.revised, Self.achieved, Self.withdrawn] {
            expectRefused(when(noGoals.state, e), rule: "goal.unknown", field: "goal_id")
        }
        // g2 belongs to c2, not c1.
        let other = GoalAchieved(goalId: "g2", consumerId: F.consumer, date: day("2026-02-02"))
        expectRefused(when(given.state, other), rule: "goal.unknown", field: "goal_id")
        expectRefused(when(given.state, F.session("s9", goals: ["g1", "g2"])), rule: "goal.unknown", field: "goals_followed_up[1]")
    }

    @Test("Setting a goal id twice is refused with goal.duplicate, even after closure")
    func duplicateGoal() {
        let open = History(F.enrolled() + [F.goal()])
        expectRefused(when(open.state, F.goal(text: secret)), rule: "goal.duplicate", field: "goal_id")
        let closed = History(F.enrolled() + [F.goal(), Self.achieved])
        expectRefused(when(closed.state, F.goal(text: secret)), rule: "goal.duplicate", field: "goal_id")
        expectAccepted(when(open.state, F.goal("g2", text: secret)))
    }

    @Test("A goal needs an active enrollment and valid fields")
    func goalShape() {
        let notEnrolled = History(F.program())
        expectRefused(when(notEnrolled.state, F.goal(text: secret)), rule: "goal.requires-active-enrollment", field: "consumer_id")
        let given = History(F.enrolled())
        expectRefusedWith(when(given.state, F.goal(text: "")), rule: "field.not-empty", field: "text")
        // Invisible text is empty too: a zero-width space, a NUL, a no-break space.
        for invisible in ["\u{200B}", "\u{0}", "\u{00A0}\u{200B} "] {
            expectRefusedWith(when(given.state, F.goal(text: invisible)), rule: "field.not-empty", field: "text")
        }
        var bad = Self.rated
        bad.rating = 6
        let withGoal = History(F.enrolled() + [F.goal()])
        expectRefusedWith(when(withGoal.state, bad), rule: "field.range", field: "rating")
    }
}

@Suite("Supporters: contacts need active, in-scope consent")
struct SupporterTests {
    /// Consent for handouts and homework from 1 to 28 February.
    static let given = History(F.enrolled() + [F.supporter(), F.consent()])

    @Test("A contact inside the consent's period and scope is accepted, on its first and last day too")
    func acceptedContact() {
        for d in ["2026-02-01", "2026-02-14", "2026-02-28"] {
            let e = F.contact(on: day(d))
            #expect(expectAccepted(when(Self.given.state, e))?.events.first as? SupporterContactRecorded == e)
        }
        expectAccepted(when(Self.given.state, F.contact(on: day("2026-02-10"), purpose: .homework)))
    }

    @Test("A contact before the consent starts is refused")
    func beforeStart() {
        expectRefused(when(Self.given.state, F.contact(on: day("2026-01-31"))), rule: "supporter.contact-needs-active-consent", field: "date")
    }

    @Test("A contact after the consent expires is refused")
    func afterExpiry() {
        expectRefused(when(Self.given.state, F.contact(on: day("2026-03-01"))), rule: "supporter.contact-needs-active-consent", field: "date")
    }

    @Test("A contact on or after the revocation date is refused; before it, it is accepted")
    func afterRevocation() {
        var h = History(F.enrolled() + [F.supporter(), F.consent(until: nil)])
        h.apply(SupporterConsentRevoked(supporterId: "sp1", consumerId: F.consumer, effectiveDate: day("2026-02-15"), reason: secret))
        expectAccepted(when(h.state, F.contact(on: day("2026-02-14"))))
        expectRefused(when(h.state, F.contact(on: day("2026-02-15"))), rule: "supporter.contact-needs-active-consent", field: "date")
        expectRefused(when(h.state, F.contact(on: day("2026-06-01"))), rule: "supporter.contact-needs-active-consent", field: "date")
    }

    @Test("A contact for a purpose outside the scope of the consent in force is refused on its purpose")
    func wrongPurpose() {
        for p in [SupporterPurpose.sessions, .relapsePlan, .goals] {
            expectRefused(when(Self.given.state, F.contact(on: day("2026-02-10"), purpose: p)),
                          rule: "supporter.contact-needs-active-consent", field: "purpose")
        }
    }

    @Test("A contact with no consent at all, or with an unknown supporter, is refused")
    func noConsent() {
        let h = History(F.enrolled() + [F.supporter()])
        expectRefused(when(h.state, F.contact(on: day("2026-02-10"))), rule: "supporter.contact-needs-active-consent", field: "date")
        expectRefused(when(Self.given.state, F.contact("sp9", on: day("2026-02-10"))), rule: "supporter.unknown", field: "supporter_id")
    }

    @Test("A supporter present in a session needs consent to sessions in force on the session's date")
    func supporterInSession() {
        var note = F.session(date: day("2026-02-10"))
        note.supporterPresent = secret
        // Consent to handouts and homework only: refused, naming the field, never the name.
        let refused = when(Self.given.state, note)
        expectRefused(refused, rule: "supporter.session-needs-active-consent", field: "supporter_present")
        if case .failure(let error) = refused { #expect(!String(describing: error).contains(secret)) }
        // No supporter at all.
        expectRefused(when(History(F.enrolled()).state, note), rule: "supporter.session-needs-active-consent", field: "supporter_present")
        // Consent to sessions, from 1 to 28 February: inside accepted, after it refused.
        let sessions = History(F.enrolled() + [F.supporter(), F.consent(scope: [.sessions])])
        expectAccepted(when(sessions.state, note))
        var late = note
        late.date = day("2026-03-01")
        expectRefused(when(sessions.state, late), rule: "supporter.session-needs-active-consent", field: "supporter_present")
        // A note without a supporter present needs no consent.
        expectAccepted(when(History(F.enrolled()).state, F.session(date: day("2026-02-10"))))
    }

    @Test("A supporter present in a group session note needs consent too")
    func supporterInGroupNote() {
        let h = History(G.enrolledThree + [G.formed])
        let notes = [GroupNote(consumerId: F.consumer), GroupNote(consumerId: F.other, supporterPresent: secret)]
        expectRefused(when(h.state, .recordGroupSession(G.session(notes: notes))),
                      rule: "supporter.session-needs-active-consent", field: "notes[1].supporter_present")
    }

    @Test("A supporter involved in a relapse plan needs consent to the relapse plan in force on the plan's date")
    func supporterInPlan() {
        func plan(on date: LocalDate) -> RelapsePreventionPlanRecorded {
            RelapsePreventionPlanRecorded(planId: "pl1", planVersion: 1, consumerId: F.consumer, triggers: [secret], warningSigns: ["x"],
                                          actions: ["y"], supportersInvolved: ["sp1"], date: date)
        }
        expectRefused(when(Self.given.state, plan(on: day("2026-02-10"))), rule: "supporter.plan-needs-active-consent",
                      field: "supporters_involved[0]")
        let h = History(F.enrolled() + [F.supporter(), F.consent(scope: [.relapsePlan])])
        expectAccepted(when(h.state, plan(on: day("2026-02-10"))))
        expectRefused(when(h.state, plan(on: day("2026-03-01"))), rule: "supporter.plan-needs-active-consent", field: "supporters_involved[0]")
    }

    @Test("Handouts given to a supporter need a supporter's consent to handouts in force on that date")
    func handoutsToSupporter() {
        func handouts(_ recipient: HandoutRecipient, on date: LocalDate) -> HandoutsProvided {
            HandoutsProvided(consumerId: F.consumer, module: .recoveryStrategies, handoutIds: ["h1"], recipient: recipient, date: date)
        }
        expectAccepted(when(Self.given.state, handouts(.supporter, on: day("2026-02-10"))))
        expectRefused(when(Self.given.state, handouts(.supporter, on: day("2026-03-01"))), rule: "supporter.handouts-need-active-consent",
                      field: "recipient")
        let sessionsOnly = History(F.enrolled() + [F.supporter(), F.consent(scope: [.sessions])])
        expectRefused(when(sessionsOnly.state, handouts(.supporter, on: day("2026-02-10"))), rule: "supporter.handouts-need-active-consent",
                      field: "recipient")
        expectAccepted(when(sessionsOnly.state, handouts(.consumer, on: day("2026-02-10"))))
    }

    @Test("An amendment that puts a supporter into a note, or moves it out of the consent's period, is refused")
    func amendedSupporter() {
        var h = History(F.enrolled() + [F.supporter(), F.consent(scope: [.sessions])])
        let plain = h.apply(F.session(date: day("2026-02-10")))
        expectAccepted(when(h.state, F.amend(plain, content: ["supporter_present": .string(secret)])))
        var withSupporter = F.session("s2", date: day("2026-02-12"))
        withSupporter.supporterPresent = secret
        let noted = h.apply(withSupporter)
        expectRefused(when(h.state, F.amend(noted, content: ["date": "2026-03-02"])), rule: "supporter.session-needs-active-consent",
                      field: "content.supporter_present")
        var h2 = History(F.enrolled())
        let plain2 = h2.apply(F.session(date: day("2026-02-10")))
        expectRefused(when(h2.state, F.amend(plain2, content: ["supporter_present": .string(secret)])),
                      rule: "supporter.session-needs-active-consent", field: "content.supporter_present")
    }

    @Test("A second consent after a revocation makes contacts possible again")
    func consentAfterRevocation() {
        var h = History(F.enrolled() + [F.supporter(), F.consent(until: nil)])
        h.apply(SupporterConsentRevoked(supporterId: "sp1", consumerId: F.consumer, effectiveDate: day("2026-02-15")))
        h.apply(F.consent(scope: [.sessions], from: day("2026-03-01"), until: nil))
        expectAccepted(when(h.state, F.contact(on: day("2026-03-02"), purpose: .sessions)))
        expectRefused(when(h.state, F.contact(on: day("2026-03-02"), purpose: .handouts)),
                      rule: "supporter.contact-needs-active-consent", field: "purpose")
    }
}

@Suite("Amendments and marks in error")
struct AmendmentTests {
    @Test("An amendment of an existing event of the same consumer is accepted")
    func amendExisting() {
        var h = History(F.enrolled())
        let note = h.apply(F.session())
        let d = expectAccepted(when(h.state, F.amend(note)))
        #expect((d?.events.first as? EntryAmended)?.targetEventId == note)
        expectAccepted(when(h.state, EntryMarkedInError(targetEventId: note, consumerId: F.consumer, reason: secret, author: F.user)))
    }

    @Test("An entry marked in error counts for nothing in the rules, as in the projections: goal, discharge, note")
    func markedInErrorUndoesItsEffect() {
        var h = History(F.enrolled() + [F.goal()])
        let achieved = h.apply(GoalAchieved(goalId: "g1", consumerId: F.consumer, date: day("2026-02-01")))
        let rate = GoalProgressRated(goalId: "g1", consumerId: F.consumer, rating: 3, ratedBy: F.user, date: day("2026-02-10"))
        expectRefused(when(h.state, rate), rule: "goal.closed", field: "goal_id")
        _ = h.apply(EntryMarkedInError(targetEventId: achieved, consumerId: F.consumer, reason: secret, author: F.user))
        expectAccepted(when(h.state, rate))

        // A note in error frees its session for the corrected note.
        let note = h.apply(F.session())
        expectRefused(when(h.state, F.session()), rule: "session.one-note-per-attendee", field: "session_id")
        _ = h.apply(EntryMarkedInError(targetEventId: note, consumerId: F.consumer, reason: secret, author: F.user))
        expectAccepted(when(h.state, F.session()))

        // A discharge in error leaves the consumer enrolled: care goes on being recorded.
        let discharge = h.apply(F.discharge())
        expectRefused(when(h.state, F.session("s2")), rule: "record.discharged-only-amendments", field: "consumer_id")
        _ = h.apply(EntryMarkedInError(targetEventId: discharge, consumerId: F.consumer, reason: secret, author: F.user))
        expectAccepted(when(h.state, F.session("s2")))
        // The entry stays nameable: marking it again is refused as already in error.
        expectRefused(when(h.state, EntryMarkedInError(targetEventId: discharge, consumerId: F.consumer, reason: secret, author: F.user)),
                      rule: "entry.already-in-error", field: "target_event_id")
    }

    @Test("A correction marked in error counts for nothing: an amendment in error changes nothing, a mark in error restores its target")
    func correctionsInError() {
        var h = History(F.enrolled())
        let note = h.apply(F.session(date: day("2026-02-10")))
        let amendment = h.apply(F.amend(note, content: ["date": "2026-03-13"]))
        #expect(h.state.consumers[F.consumer]?.lastContact == day("2026-03-13"))
        _ = h.apply(EntryMarkedInError(targetEventId: amendment, consumerId: F.consumer, reason: secret, author: F.user))
        #expect(h.state.consumers[F.consumer]?.lastContact == day("2026-02-10"))
        expectAccepted(when(h.state, F.discharge()))  // dated 2026-03-01, after the note's real day

        let discharge = h.apply(F.discharge())
        let mark = h.apply(EntryMarkedInError(targetEventId: discharge, consumerId: F.consumer, reason: secret, author: F.user))
        expectAccepted(when(h.state, F.session("s2", date: day("2026-03-05"))))
        // "The discharge stands": marking the mark in error puts the discharge back.
        _ = h.apply(EntryMarkedInError(targetEventId: mark, consumerId: F.consumer, reason: secret, author: F.user))
        expectRefused(when(h.state, F.session("s3", date: day("2026-03-06"))), rule: "record.discharged-only-amendments", field: "consumer_id")
    }

    @Test("An amended entry counts with its amended fields: a goal-set date amended later moves the goal's last review")
    func amendedEntryCounts() {
        var h = History(F.enrolled())
        let goal = h.apply(F.goal(date: day("2026-01-20")))
        _ = h.apply(F.amend(goal, content: ["date": "2026-02-05"]))
        #expect(h.state.consumers[F.consumer]?.goals["g1"]?.lastReview == day("2026-02-05"))
        #expect(h.state.consumers[F.consumer]?.events[goal]?.data["date"] == "2026-02-05")
    }

    @Test("Clinical dates keep their order: decisions, assignments, goals, follow-ups and discharge")
    func datesInOrder() {
        // A referral received on 2026-01-10 (F.referral) cannot be decided on the 9th.
        let referred = History(F.program() + [F.referral()])
        expectRefused(when(referred.state, F.accept("r1", date: day("2026-01-09"))), rule: "referral.decided-before-received", field: "date")
        var h = History(F.enrolled())
        let start = h.state.consumers[F.consumer]!.enrollment!.startDate
        expectRefused(when(h.state, F.goal(date: start.adding(days: -1))), rule: "goal.before-enrollment", field: "date")
        _ = h.apply(F.goal(date: day("2026-02-01")))
        expectRefused(when(h.state, GoalProgressRated(goalId: "g1", consumerId: F.consumer, rating: 3, ratedBy: F.user, date: day("2026-01-31"))),
                      rule: "goal.before-set", field: "date")
        expectRefused(when(h.state, GoalAchieved(goalId: "g1", consumerId: F.consumer, date: day("2026-01-31"))), rule: "goal.before-set", field: "date")
        // A note of the 25th cannot follow up a goal set on Feb 1st.
        expectRefused(when(h.state, F.session(date: day("2026-01-25"), goals: ["g1"])), rule: "goal.before-set", field: "goals_followed_up[0]")
        expectAccepted(when(h.state, F.session(date: day("2026-02-02"), goals: ["g1"])))
        _ = h.apply(GoalAchieved(goalId: "g1", consumerId: F.consumer, date: day("2026-02-03")))
        _ = h.apply(F.session("s9", date: day("2026-03-10")))
        // F.discharge is dated 2026-03-01, before the note of March 10th.
        expectRefused(when(h.state, F.discharge()), rule: "discharge.before-last-session", field: "date")
    }

    @Test("A late note or rating about a day before the goal's closure is about an open goal; after it, the goal is closed")
    func lateEntriesJudgedOnTheirDay() {
        var h = History(F.enrolled())
        _ = h.apply(F.goal(date: day("2026-01-20")))
        _ = h.apply(GoalAchieved(goalId: "g1", consumerId: F.consumer, date: day("2026-02-01")))
        expectAccepted(when(h.state, F.session("late", date: day("2026-01-25"), goals: ["g1"])))
        expectAccepted(when(h.state, GoalProgressRated(goalId: "g1", consumerId: F.consumer, rating: 4, ratedBy: F.user, date: day("2026-02-01"))))
        expectRefused(when(h.state, F.session("after", date: day("2026-02-02"), goals: ["g1"])), rule: "goal.closed", field: "goals_followed_up[0]")
        expectRefused(when(h.state, GoalProgressRated(goalId: "g1", consumerId: F.consumer, rating: 4, ratedBy: F.user, date: day("2026-02-02"))),
                      rule: "goal.closed", field: "goal_id")
        // Closing it again is refused whatever the date.
        expectRefused(when(h.state, GoalWithdrawn(goalId: "g1", consumerId: F.consumer, reason: "x", date: day("2026-01-25"))),
                      rule: "goal.closed", field: "goal_id")
    }

    @Test("A goal is not closed before its last rating, revision or follow-up; a no-show does not hold a discharge back")
    func closureAndDischargeAfterActivity() {
        var h = History(F.enrolled())
        _ = h.apply(F.goal(date: day("2026-01-20")))
        _ = h.apply(GoalProgressRated(goalId: "g1", consumerId: F.consumer, rating: 3, ratedBy: F.user, date: day("2026-02-10")))
        expectRefused(when(h.state, GoalAchieved(goalId: "g1", consumerId: F.consumer, date: day("2026-02-01"))),
                      rule: "goal.closed-before-follow-up", field: "date")
        _ = h.apply(GoalAchieved(goalId: "g1", consumerId: F.consumer, date: day("2026-02-10")))
        // Sessions the consumer did not attend, dated after the move, do not hold the discharge back.
        _ = h.apply(AttendanceRecorded(sessionId: "a9", consumerId: F.consumer, date: day("2026-03-08"), status: .noShow))
        expectAccepted(when(h.state, F.discharge()))
    }

    @Test("Practitioners are judged on the entry's day; enrollment follows acceptance; transfers follow the enrollment; discharge follows goal activity")
    func staffAndDatesOnTheEntrysDay() {
        var h = History(F.enrolled() + [PractitionerJoined(practitionerId: F.practitioner2, programId: F.program, teamId: F.team,
                                                           role: .practitioner, startDate: day("2026-01-05"))])
        _ = h.apply(PractitionerLeft(practitionerId: F.practitioner2, date: day("2026-02-20")))
        // A late supervision dated before the departure may name them; one after may not.
        let supervision = { (d: String) in
            SupervisionHeld(teamId: F.team, kind: .group, leader: F.practitioner, practitioners: [F.practitioner, F.practitioner2],
                            date: day(d), durationMinutes: 60, casesReviewed: [])
        }
        expectAccepted(when(h.state, supervision("2026-02-10")))
        expectRefused(when(h.state, supervision("2026-02-25")), rule: "practitioner.inactive", field: "practitioners[1]")
        // The cases are consumers enrolled in the team's program, each named once; the leader is on staff.
        var withCases = supervision("2026-02-10")
        withCases.casesReviewed = [F.consumer]
        expectAccepted(when(h.state, withCases))
        withCases.casesReviewed = [F.consumer, "nobody"]
        expectRefused(when(h.state, withCases), rule: "supervision.case-not-in-program", field: "cases_reviewed[1]")
        withCases.casesReviewed = [F.consumer, F.consumer]
        expectRefusedWith(when(h.state, withCases), rule: "field.unique", field: "cases_reviewed")
        var otherLeader = supervision("2026-02-25")
        otherLeader.practitioners = [F.practitioner]
        otherLeader.leader = F.practitioner2
        expectRefused(when(h.state, otherLeader), rule: "practitioner.inactive", field: "leader")
        var note = F.session("s5", date: day("2026-02-25"))
        note.practitioners = [F.practitioner2]
        expectRefused(when(h.state, note), rule: "practitioner.inactive", field: "practitioners[0]")
        // Nor before they joined: a practitioner joining in June is on no February note, and
        // cannot have left before joining.
        var later = h
        later.apply(PractitionerJoined(practitionerId: "pr3", programId: F.program, teamId: F.team, role: .practitioner, startDate: day("2026-06-01")))
        var early = F.session("s6", date: day("2026-02-25"))
        early.practitioners = ["pr3"]
        expectRefused(when(later.state, early), rule: "practitioner.inactive", field: "practitioners[0]")
        expectRefused(when(later.state, PractitionerLeft(practitionerId: "pr3", date: day("2026-05-01"))),
                      rule: "practitioner.left-before-joined", field: "date")
        // One who left and came back counts for each time on staff, not for the time between.
        later.apply(PractitionerJoined(practitionerId: F.practitioner2, programId: F.program, teamId: F.team, role: .practitioner,
                                       startDate: day("2026-04-01")))
        for (d, onStaff) in [("2026-02-10", true), ("2026-03-10", false), ("2026-04-05", true)] {
            var n = F.session(SessionID("s-\(d)")!, date: day(d))
            n.practitioners = [F.practitioner2]
            if onStaff { expectAccepted(when(later.state, n)) } else { expectRefused(when(later.state, n), rule: "practitioner.inactive", field: "practitioners[0]") }
        }
        // A transfer dated before the enrollment started.
        let start = h.state.consumers[F.consumer]!.enrollment!.startDate
        expectRefused(when(h.state, PractitionerTransferred(enrollmentId: F.enrollment, consumerId: F.consumer, fromPractitionerId: F.practitioner,
                                                            toPractitionerId: F.practitioner2, effectiveDate: start.adding(days: -1), reason: "x")),
                      rule: "transfer.before-enrollment", field: "effective_date")
        // A discharge dated before a goal's last rating, even once the goal is closed.
        _ = h.apply(F.goal(date: day("2026-01-20")))
        _ = h.apply(GoalProgressRated(goalId: "g1", consumerId: F.consumer, rating: 4, ratedBy: F.user, date: day("2026-03-05")))
        _ = h.apply(GoalAchieved(goalId: "g1", consumerId: F.consumer, date: day("2026-03-06")))
        expectRefused(when(h.state, F.discharge()), rule: "discharge.open-goals", field: "date")  // dated 2026-03-01

        // Enrollment cannot start before the referral was accepted (F.accept is on 2026-01-12).
        let referred = History(F.program() + [F.referral(), F.accept()])
        expectRefused(when(referred.state, F.enroll(start: day("2026-01-11"))), rule: "enrollment.before-referral", field: "start_date")
    }

    @Test("A note's practitioners and a group's facilitators must be in the record; group members must be in its program")
    func referencesChecked() {
        let h = History(F.enrolled())
        var note = F.session()
        note.practitioners = ["ghost"]
        expectRefused(when(h.state, note), rule: "practitioner.unknown", field: "practitioners[0]")
        expectRefused(when(h.state, GroupFormed(groupId: "gr1", programId: F.program, facilitators: [F.practitioner, "ghost"], members: [F.consumer],
                                                startDate: day("2026-01-20"))), rule: "practitioner.unknown", field: "facilitators[1]")
        var other = History(F.enrolled() + F.program("p2"))
        _ = other.apply(TeamFormed(teamId: "t2", programId: "p2", name: "B", date: day("2026-01-05")))
        expectRefused(when(other.state, GroupFormed(groupId: "gr2", programId: "p2", facilitators: [F.practitioner], members: [F.consumer],
                                                    startDate: day("2026-01-20"))), rule: "group.member-of-another-program", field: "members[0]")
    }

    @Test("An outcome measure's responses are 1-5 and its total 1-75 (IMR Scale)")
    func outcomeRanges() {
        let h = History(F.enrolled())
        func measure(_ items: [Int], total: Double) -> OutcomeMeasureRecorded {
            OutcomeMeasureRecorded(consumerId: F.consumer, instrument: .imrsClient, instrumentVersion: "2004", itemResponses: items,
                                   total: total, date: day("2026-02-01"))
        }
        expectRefusedWith(when(h.state, measure(Array(repeating: 0, count: 15), total: 1)), rule: "field.range", field: "item_responses[0]")
        expectRefusedWith(when(h.state, measure(Array(repeating: 3, count: 15), total: -999)), rule: "field.range", field: "total")
        expectAccepted(when(h.state, measure(Array(repeating: 3, count: 15), total: 3)))
        expectAccepted(when(h.state, measure(Array(repeating: 5, count: 15), total: 75)))
    }

    @Test("An amendment of an unknown event id is refused with amendment.target-not-found")
    func unknownTarget() {
        let h = History(F.enrolled() + [F.session()])
        expectRefused(when(h.state, F.amend("ev-999")), rule: "amendment.target-not-found", field: "target_event_id")
        expectRefused(when(h.state, EntryMarkedInError(targetEventId: "ev-999", consumerId: F.consumer, reason: secret, author: F.user)),
                      rule: "amendment.target-not-found", field: "target_event_id")
    }

    @Test("An amendment naming an event of ANOTHER consumer is refused with amendment.target-not-found")
    func otherConsumersEvent() {
        var h = History(F.twoEnrolled())
        let theirs = h.apply(F.session(consumer: F.other))
        expectRefused(when(h.state, F.amend(theirs)), rule: "amendment.target-not-found", field: "target_event_id")
        expectRefused(when(h.state, EntryMarkedInError(targetEventId: theirs, consumerId: F.consumer, reason: secret, author: F.user)),
                      rule: "amendment.target-not-found", field: "target_event_id")
        // A program-stream event is nobody's consumer record either.
        expectRefused(when(h.state, F.amend("ev-1", content: ["name": "x"])), rule: "amendment.target-not-found", field: "target_event_id")
        expectAccepted(when(h.state, F.amend(theirs, consumer: F.other)))
    }

    @Test("Amendment content that does not fit the target's type is refused with amendment.content-invalid")
    func contentInvalid() {
        var h = History(F.enrolled())
        let note = h.apply(F.session())
        // An unknown field of the target, a wrong type, and a vocabulary violation.
        expectRefused(when(h.state, F.amend(note, content: ["mood": .string(secret)])), rule: "amendment.content-invalid", field: "content.mood")
        expectRefused(when(h.state, F.amend(note, content: ["duration_minutes": .string(secret)])),
                      rule: "amendment.content-invalid", field: "content.duration_minutes")
        expectRefused(when(h.state, F.amend(note, content: ["topics": [.string(secret)]])),
                      rule: "amendment.content-invalid", field: "content.topics[0]")
        // Shape rules of the amendment itself.
        expectRefusedWith(when(h.state, F.amend(note, content: [:])), rule: "amendment.content-not-empty", field: "content")
        expectRefusedWith(when(h.state, F.amend(note, content: .string(secret))), rule: "amendment.content-object", field: "content")
        // A field that fits.
        expectAccepted(when(h.state, F.amend(note, content: ["homework": .string(secret), "duration_minutes": 55])))
    }

    @Test("An amendment that changes a date keeps the order of clinical dates: ratings, closures, goals, discharges")
    func amendedDatesKeepTheirOrder() {
        var h = History(F.enrolled())
        let start = h.state.consumers[F.consumer]!.enrollment!.startDate
        let goal = h.apply(F.goal(date: day("2026-01-20")))
        let rating = h.apply(GoalProgressRated(goalId: "g1", consumerId: F.consumer, rating: 3, ratedBy: F.user, date: day("2026-02-10")))
        let closure = h.apply(GoalAchieved(goalId: "g1", consumerId: F.consumer, date: day("2026-02-12")))
        _ = h.apply(F.session("s1", date: day("2026-02-20")))
        let discharge = h.apply(F.discharge())  // 2026-03-01
        expectRefused(when(h.state, F.amend(rating, content: ["date": "2026-01-10"])), rule: "goal.before-set", field: "content.date")
        expectRefused(when(h.state, F.amend(rating, content: ["date": "2026-02-20"])), rule: "goal.closed", field: "content.date")
        expectRefused(when(h.state, F.amend(closure, content: ["date": "2026-02-05"])), rule: "goal.closed-before-follow-up", field: "content.date")
        expectRefused(when(h.state, F.amend(goal, content: ["date": .string(start.adding(days: -1).description)])), rule: "goal.before-enrollment",
                      field: "content.date")
        expectRefused(when(h.state, F.amend(discharge, content: ["date": "2026-02-15"])), rule: "discharge.before-last-session",
                      field: "content.date")
        expectAccepted(when(h.state, F.amend(rating, content: ["date": "2026-02-11"])))
        expectAccepted(when(h.state, F.amend(discharge, content: ["date": "2026-02-21"])))
    }

    @Test("An amendment may not move a goal's set day after its follow-ups, nor an enrollment's start after its entries or before the referral's acceptance")
    func amendedStartsKeepTheirOrder() {
        var h = History(F.program() + [F.referral(), F.accept()])  // accepted 2026-01-12
        let enrollment = h.apply(F.enroll())  // starts 2026-01-15
        let goal = h.apply(F.goal(date: day("2026-01-20")))
        // Nothing else yet: the set day may move anywhere on or after the start.
        expectAccepted(when(h.state, F.amend(goal, content: ["date": "2026-02-20"])))
        h.apply(F.session("s1", date: day("2026-02-01"), goals: ["g1"]))
        expectRefused(when(h.state, F.amend(goal, content: ["date": "2026-02-02"])), rule: "goal.before-set", field: "content.date")
        expectAccepted(when(h.state, F.amend(goal, content: ["date": "2026-02-01"])))
        h.apply(GoalProgressRated(goalId: "g1", consumerId: F.consumer, rating: 3, ratedBy: F.user, date: day("2026-01-25")))
        expectRefused(when(h.state, F.amend(goal, content: ["date": "2026-01-26"])), rule: "goal.before-set", field: "content.date")
        // The enrollment's start: not after the first entry (the goal, 2026-01-20), not before the acceptance.
        expectRefused(when(h.state, F.amend(enrollment, content: ["start_date": "2026-01-21"])), rule: "enrollment.start-after-entries",
                      field: "content.start_date")
        expectRefused(when(h.state, F.amend(enrollment, content: ["start_date": "2026-01-11"])), rule: "enrollment.before-referral",
                      field: "content.start_date")
        expectAccepted(when(h.state, F.amend(enrollment, content: ["start_date": "2026-01-20"])))
        expectAccepted(when(h.state, F.amend(enrollment, content: ["start_date": "2026-01-12"])))
    }

    @Test("An amended note keeps a note's rules: not before the enrollment, topics of the curriculum, the consumer's goals")
    func amendedNoteKeepsNoteRules() {
        var h = History(F.enrolled())
        let note = h.apply(F.session())
        expectRefused(when(h.state, F.amend(note, content: ["date": "2024-06-01"])), rule: "session.before-enrollment", field: "content.date")
        expectRefused(when(h.state, F.amend(note, content: ["topics": ["healthy-lifestyle"]])),
                      rule: "session.topic-not-in-curriculum", field: "content.topics[0]")
        expectRefused(when(h.state, F.amend(note, content: ["goals_followed_up": ["nogoal"]])),
                      rule: "goal.unknown", field: "content.goals_followed_up[0]")
        expectAccepted(when(h.state, F.amend(note, content: ["topics": ["practical-facts"]])))
    }

    @Test("An unknown member whose name is not a field name is not repeated in the refusal (a key can hold patient data)")
    func unknownNamesNotRepeated() {
        var h = History(F.enrolled())
        let note = h.apply(F.session())
        let r = when(h.state, F.amend(note, content: ["Hears voices of John Doe": 1]))
        expectRefused(r, rule: "amendment.content-invalid", field: "content.(member not a field name)")
        if case .failure(let e) = r { #expect(!e.description.contains("John") && !e.description.lowercased().contains("hears")) }
        // A name shaped like a field is repeated: it helps and holds no sentence.
        expectRefused(when(h.state, F.amend(note, content: ["homwork": 1])), rule: "amendment.content-invalid", field: "content.homwork")
    }

    @Test("An amended event must still pass its type's field rules (a 0-minute session, a rating of 9, empty goal text)")
    func contentBreakingFieldRules() {
        var h = History(F.enrolled() + [F.goal()])
        let note = h.apply(F.session())
        let goal = h.ids[h.ids.count - 2]
        let rating = h.apply(GoalProgressRated(goalId: "g1", consumerId: F.consumer, rating: 3, ratedBy: F.user, date: day("2026-02-01")))
        expectRefused(when(h.state, F.amend(note, content: ["duration_minutes": 0])),
                      rule: "amendment.content-invalid", field: "content.duration_minutes")
        expectRefused(when(h.state, F.amend(rating, content: ["rating": 9])), rule: "amendment.content-invalid", field: "content.rating")
        expectRefused(when(h.state, F.amend(goal, content: ["text": " "])), rule: "amendment.content-invalid", field: "content.text")
        expectAccepted(when(h.state, F.amend(rating, content: ["rating": 5])))
    }

    @Test("A patient-requested amendment needs a request id, a known request, and an accepted decision")
    func patientRequested() {
        var h = History(F.enrolled())
        let note = h.apply(F.session())
        expectRefusedWith(when(h.state, F.amend(note, kind: .patientRequested)), rule: "amendment.patient-request-needs-request", field: "request_id")
        expectRefused(when(h.state, F.amend(note, kind: .patientRequested, request: "rq1")), rule: "amendment-request.unknown", field: "request_id")
        h.apply(AmendmentRequested(requestId: "rq1", consumerId: F.consumer, targetEventId: note, requestedChange: secret, date: day("2026-02-01")))
        expectRefused(when(h.state, F.amend(note, kind: .patientRequested, request: "rq1")),
                      rule: "amendment.request-not-accepted", field: "request_id")
        var denied = h
        denied.apply(AmendmentRequestDecided(requestId: "rq1", consumerId: F.consumer, decision: .denied, reason: "accurate as written",
                                             statementOfDisagreement: secret, date: day("2026-02-10")))
        expectRefused(when(denied.state, F.amend(note, kind: .patientRequested, request: "rq1")),
                      rule: "amendment.request-not-accepted", field: "request_id")
        h.apply(AmendmentRequestDecided(requestId: "rq1", consumerId: F.consumer, decision: .accepted, date: day("2026-02-10")))
        expectAccepted(when(h.state, F.amend(note, kind: .patientRequested, request: "rq1")))
    }

    @Test("A request is decided once; a denial needs a reason; a late decision is flagged")
    func requestDecisions() {
        var h = History(F.enrolled())
        let note = h.apply(F.session())
        h.apply(AmendmentRequested(requestId: "rq1", consumerId: F.consumer, targetEventId: note, requestedChange: secret, date: day("2026-02-01")))
        expectRefusedWith(when(h.state, AmendmentRequestDecided(requestId: "rq1", consumerId: F.consumer, decision: .denied, date: day("2026-02-02"))),
                          rule: "amendment-request.denial-needs-reason", field: "reason")
        let late = AmendmentRequestDecided(requestId: "rq1", consumerId: F.consumer, decision: .accepted, date: day("2026-04-15"))
        #expect(expectAccepted(when(h.state, late))?.warnings.map(\.rule) == ["amendment-request.decided-late"])
        let extended = AmendmentRequestDecided(requestId: "rq1", consumerId: F.consumer, decision: .accepted, extended: true, date: day("2026-04-15"))
        #expect(expectAccepted(when(h.state, extended))?.warnings == [])
        h.apply(late)
        expectRefused(when(h.state, extended), rule: "amendment-request.already-decided", field: "request_id")
    }

    @Test("An entry is marked in error once")
    func markInErrorOnce() {
        var h = History(F.enrolled())
        let note = h.apply(F.session())
        h.apply(EntryMarkedInError(targetEventId: note, consumerId: F.consumer, reason: "wrong chart", author: F.user))
        expectRefused(when(h.state, EntryMarkedInError(targetEventId: note, consumerId: F.consumer, reason: secret, author: F.user)),
                      rule: "entry.already-in-error", field: "target_event_id")
    }
}

@Suite("Discharge")
struct DischargeTests {
    @Test("Discharge with an open goal is refused with discharge.open-goals")
    func openGoals() {
        let h = History(F.enrolled() + [F.goal(), F.goal("g2"), GoalAchieved(goalId: "g1", consumerId: F.consumer, date: day("2026-02-01"))])
        expectRefused(when(h.state, F.discharge(booster: secret)), rule: "discharge.open-goals", field: "consumer_id")
    }

    @Test("Discharge after every goal is closed is accepted")
    func closedGoals() {
        let h = History(F.enrolled() + [F.goal(), F.goal("g2"), GoalAchieved(goalId: "g1", consumerId: F.consumer, date: day("2026-02-01")),
                                        GoalWithdrawn(goalId: "g2", consumerId: F.consumer, reason: "moved on", date: day("2026-02-01"))])
        let d = expectAccepted(when(h.state, F.discharge(modules: [.recoveryStrategies])))
        #expect(d?.events.first as? ConsumerDischarged == F.discharge(modules: [.recoveryStrategies]))
    }

    @Test("Discharge of another enrollment id is refused")
    func wrongEnrollment() {
        let h = History(F.enrolled())
        expectRefused(when(h.state, F.discharge(enrollment: "e9")), rule: "enrollment.not-active", field: "enrollment_id")
    }

    /// Every kind of non-amendment command for the discharged consumer `c1`.
    static var afterDischarge: [any RecordEvent] {
        [
            F.session("s9", date: day("2026-03-02"), homework: secret),
            F.goal("g9", text: secret),
            GoalProgressRated(goalId: "g1", consumerId: F.consumer, rating: 2, note: secret, ratedBy: F.user, date: day("2026-03-02")),
            GoalRevised(goalId: "g1", consumerId: F.consumer, change: secret, date: day("2026-03-02")),
            AttendanceRecorded(sessionId: "s9", consumerId: F.consumer, date: day("2026-03-02"), status: .noShow, reason: secret),
            F.supporter("sp9"),
            F.consent(from: day("2026-03-02"), until: nil),
            F.contact(on: day("2026-03-02")),
            StrengthsInventoryCompleted(consumerId: F.consumer, date: day("2026-03-02"), answers: [.init(section: .leisure, text: secret)]),
            RelapsePreventionPlanRecorded(planId: "pl1", planVersion: 1, consumerId: F.consumer, triggers: [secret], warningSigns: ["x"],
                                          actions: ["y"], date: day("2026-03-02")),
            HandoutsProvided(consumerId: F.consumer, module: .recoveryStrategies, handoutIds: ["h1"], date: day("2026-03-02")),
            ModuleReviewCompleted(consumerId: F.consumer, module: .recoveryStrategies, answers: [secret], date: day("2026-03-02")),
            OutcomeMeasureRecorded(consumerId: F.consumer, instrument: .imrsClient, instrumentVersion: "2009",
                                   itemResponses: Array(repeating: 3, count: 15), total: 3, date: day("2026-03-02")),
            PractitionerTransferred(enrollmentId: F.enrollment, consumerId: F.consumer, fromPractitionerId: F.practitioner,
                                    toPractitionerId: F.practitioner2, effectiveDate: day("2026-03-02"), reason: secret),
            F.discharge(),
        ]
    }

    @Test("After discharge every command but amendments is refused with record.discharged-only-amendments")
    func onlyAmendmentsAfterDischarge() {
        var h = History(F.enrolled() + [F.supporter(), F.consent(until: nil)])
        let goal = h.apply(F.goal())
        let note = h.apply(F.session(topics: [.recoveryStrategies]))
        h.apply([GoalAchieved(goalId: "g1", consumerId: F.consumer, date: day("2026-02-01")),
                 PractitionerJoined(practitionerId: F.practitioner2, programId: F.program, teamId: F.team, role: .practitioner,
                                    startDate: day("2026-01-05")),
                 F.discharge()])
        for e in Self.afterDischarge {
            let r = when(h.state, e)
            expectRefused(r, rule: "record.discharged-only-amendments", field: "consumer_id")
            if case .failure(let err) = r { #expect(err.kind == .invariant, "\(type(of: e))") }
        }
        // Re-enrolling on a new accepted referral is refused too.
        var again = h
        again.apply([F.referral("r5"), F.accept("r5")])
        expectRefused(when(again.state, F.enroll(referral: "r5", enrollment: "e5")), rule: "record.discharged-only-amendments", field: "consumer_id")
        // Amendments, marks in error, and the amendment-request path still pass.
        expectAccepted(when(h.state, F.amend(note)))
        expectAccepted(when(h.state, F.amend(goal, content: ["text": "walk to the river"])))
        expectAccepted(when(h.state, EntryMarkedInError(targetEventId: note, consumerId: F.consumer, reason: secret, author: F.user)))
        expectAccepted(when(h.state, AmendmentRequested(requestId: "rq1", consumerId: F.consumer, targetEventId: note,
                                                        requestedChange: secret, date: day("2026-03-05"))))
    }
}

@Suite("Sessions, attendance, curriculum")
struct SessionTests {
    @Test("A topic outside the consumer's curriculum edition is refused, naming the topic's index",
          arguments: [
              (CurriculumEdition.draft2003, Module.drugAndAlcoholUse, false),
              (.kit2009, .drugAndAlcoholUse, true),
              (.thirdEdition, .drugAndAlcoholUse, true),
              (.draft2003, .healthyLifestyle, false),
              (.kit2009, .healthyLifestyle, false),
              (.thirdEdition, .healthyLifestyle, true),
          ])
    func topicInCurriculum(edition: CurriculumEdition, module: Module, accepted: Bool) {
        let h = History(F.enrolled(curriculum: edition))
        let note = F.session(topics: [.recoveryStrategies, module], homework: secret)
        if accepted {
            expectAccepted(when(h.state, note))
        } else {
            expectRefused(when(h.state, note), rule: "session.topic-not-in-curriculum", field: "topics[1]")
            expectRefused(when(h.state, HandoutsProvided(consumerId: F.consumer, module: module, handoutIds: ["h1"], date: day("2026-01-20"))),
                          rule: "handouts.module-not-in-curriculum", field: "module")
        }
    }

    @Test("Every module of every edition is accepted as a session topic of that edition")
    func allModulesOfEdition() {
        for edition in CurriculumEdition.allCases {
            let h = History(F.enrolled(curriculum: edition))
            expectAccepted(when(h.state, F.session(topics: edition.modules)))
            #expect(edition.modules.count == [.draft2003: 9, .kit2009: 10, .thirdEdition: 11][edition])
        }
    }

    @Test("One note per attendee: a second note for the same session and consumer is refused")
    func oneNotePerAttendee() {
        let h = History(F.twoEnrolled() + [F.session("s1")])
        expectRefused(when(h.state, F.session("s1", homework: secret)), rule: "session.one-note-per-attendee", field: "session_id")
        expectAccepted(when(h.state, F.session("s2")))
        expectAccepted(when(h.state, F.session("s1", consumer: F.other)))
    }

    @Test("A group-format note outside the group command, or before enrollment, is refused")
    func sessionShapeRules() {
        let h = History(F.enrolled())
        var group = F.session()
        group.format = .group
        group.groupId = "gr1"
        expectRefused(when(h.state, group), rule: "session.group-through-group-command", field: "format")
        expectRefused(when(h.state, F.session(date: day("2026-01-14"))), rule: "session.before-enrollment", field: "date")
        var unsigned = F.session()
        unsigned.consumerSigned = false
        expectRefusedWith(when(h.state, unsigned), rule: "session.consumer-signature-or-reason", field: "consumer_signature_absent_reason")
        expectRefusedWith(when(h.state, F.session(topics: [.socialSupport, .socialSupport])), rule: "field.unique", field: "topics")
    }

    @Test("Attendance has one status per consumer per session")
    func oneAttendanceStatus() {
        let first = AttendanceRecorded(sessionId: "s1", consumerId: F.consumer, date: day("2026-01-20"), status: .attended)
        let h = History(F.twoEnrolled() + [first])
        let again = AttendanceRecorded(sessionId: "s1", consumerId: F.consumer, date: day("2026-01-20"), status: .noShow, reason: secret)
        expectRefused(when(h.state, again), rule: "attendance.one-status-per-session", field: "session_id")
        var otherConsumer = again
        otherConsumer.consumerId = F.other
        expectAccepted(when(h.state, otherConsumer))
        var otherSession = again
        otherSession.sessionId = "s2"
        expectAccepted(when(h.state, otherSession))
    }

    @Test("A module review of a module not taught yet is refused; once taught it is accepted")
    func moduleReview() {
        let review = ModuleReviewCompleted(consumerId: F.consumer, module: .stressVulnerability, score: 80, answers: [secret], date: day("2026-02-01"))
        let h = History(F.enrolled() + [F.session(topics: [.recoveryStrategies])])
        expectRefused(when(h.state, review), rule: "module-review.module-not-taught", field: "module")
        let taught = History(F.enrolled() + [F.session(topics: [.recoveryStrategies, .stressVulnerability])])
        expectAccepted(when(taught.state, review))
    }

    @Test("Relapse prevention plan versions go 1, 2, 3 per plan")
    func relapsePlanVersions() {
        func plan(_ id: PlanID, _ v: Int) -> RelapsePreventionPlanRecorded {
            RelapsePreventionPlanRecorded(planId: id, planVersion: v, consumerId: F.consumer, triggers: [secret], warningSigns: ["poor sleep"],
                                          actions: ["call sister"], date: day("2026-02-01"))
        }
        var h = History(F.enrolled())
        expectRefused(when(h.state, plan("pl1", 2)), rule: "relapse-plan.version-sequence", field: "plan_version")
        h.apply(try! h.state.decide(.record(plan("pl1", 1))).events)
        expectRefused(when(h.state, plan("pl1", 1)), rule: "relapse-plan.version-sequence", field: "plan_version")
        expectRefused(when(h.state, plan("pl1", 3)), rule: "relapse-plan.version-sequence", field: "plan_version")
        expectAccepted(when(h.state, plan("pl1", 2)))
        expectAccepted(when(h.state, plan("pl2", 1)))
        var withSupporter = plan("pl1", 2)
        withSupporter.supportersInvolved = ["sp-none"]
        expectRefused(when(h.state, withSupporter), rule: "supporter.unknown", field: "supporters_involved[0]")
    }

    @Test("The strengths inventory is flagged outside the second or third session")
    func inventoryTiming() {
        let inventory = StrengthsInventoryCompleted(consumerId: F.consumer, date: day("2026-02-01"), answers: [.init(section: .leisure, text: "music")])
        let early = History(F.enrolled())
        #expect(expectAccepted(when(early.state, inventory))?.warnings.map(\.rule) == ["inventory.not-session-2-or-3"])
        let onTime = History(F.enrolled() + [AttendanceRecorded(sessionId: "s1", consumerId: F.consumer, date: day("2026-01-20"), status: .attended)])
        #expect(expectAccepted(when(onTime.state, inventory))?.warnings == [])
        // Sessions with notes count as sessions too; an inventory naming a session already
        // recorded is in that session, not the next one.
        let twoNotes = History(F.enrolled() + [F.session("s1"), F.session("s2")])
        var inS2 = inventory
        inS2.sessionId = "s2"
        #expect(expectAccepted(when(twoNotes.state, inS2))?.warnings == [])
        let three = History(F.enrolled() + (1...3).map {
            AttendanceRecorded(sessionId: .init("a\($0)")!, consumerId: F.consumer, date: day("2026-01-2\($0)"), status: .attended)
        })
        var inA3 = inventory
        inA3.sessionId = "a3"
        #expect(expectAccepted(when(three.state, inA3))?.warnings == [])
        #expect(expectAccepted(when(three.state, inventory))?.warnings.map(\.rule) == ["inventory.not-session-2-or-3"])  // a fourth session
        // A late inventory is placed by its session's day, not by how many sessions came since.
        var inA1 = inventory
        inA1.sessionId = "a1"
        #expect(expectAccepted(when(three.state, inA1))?.warnings.map(\.rule) == ["inventory.not-session-2-or-3"])
        let four = History(F.enrolled() + (1...4).map {
            AttendanceRecorded(sessionId: .init("a\($0)")!, consumerId: F.consumer, date: day("2026-01-2\($0)"), status: .attended)
        })
        var lateInA2 = inventory
        lateInA2.sessionId = "a2"
        #expect(expectAccepted(when(four.state, lateInA2))?.warnings == [])
    }
}

@Suite("Program rules: fidelity reviews, teams, practitioners")
struct ProgramRuleTests {
    @Test("A fidelity review with 13 items scored 1–5 and total = mean is accepted")
    func validReview() {
        let h = History(F.program())
        let review = F.fidelity(scores: [5, 4, 4, 3, 5, 5, 2, 4, 3, 4, 5, 4, 3])
        #expect(abs(review.total - 51.0 / 13.0) < 1e-9)
        expectAccepted(when(h.state, review))
    }

    @Test("A fidelity review whose total is not the mean is refused with fidelity.total-is-mean")
    func totalNotMean() {
        let h = History(F.program())
        expectRefusedWith(when(h.state, F.fidelity(scores: Array(repeating: 4, count: 13), total: 4.2)), rule: "fidelity.total-is-mean", field: "total")
        expectRefusedWith(when(h.state, F.fidelity(scores: Array(repeating: 4, count: 13), total: 52)), rule: "fidelity.total-is-mean", field: "total")
    }

    @Test("A fidelity review without exactly 13 distinct items 1–13, or with a score outside 1–5, is refused")
    func thirteenItems() {
        let h = History(F.program())
        expectRefusedWith(when(h.state, F.fidelity(scores: Array(repeating: 4, count: 12))), rule: "fidelity.thirteen-items", field: "items")
        expectRefusedWith(when(h.state, F.fidelity(scores: Array(repeating: 4, count: 14))), rule: "fidelity.thirteen-items", field: "items")
        expectRefusedWith(when(h.state, F.fidelity(scores: Array(repeating: 4, count: 13), items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12])),
                          rule: "fidelity.items-1-to-13", field: "items")
        expectRefusedWith(when(h.state, F.fidelity(scores: [6] + Array(repeating: 4, count: 12))), rule: "field.range", field: "items[0].score")
        expectRefusedWith(when(h.state, F.fidelity(scores: [0] + Array(repeating: 4, count: 12))), rule: "field.range", field: "items[0].score")
    }

    @Test("A fidelity review of an unknown program, or a review id used twice, is refused")
    func reviewState() {
        let none = History()
        expectRefused(when(none.state, F.fidelity(scores: Array(repeating: 4, count: 13))), rule: "program.unknown", field: "program_id")
        let h = History(F.program() + [F.fidelity(scores: Array(repeating: 4, count: 13))])
        expectRefused(when(h.state, F.fidelity(scores: Array(repeating: 3, count: 13))), rule: "fidelity.duplicate-review", field: "review_id")
    }

    @Test("One primary practitioner at a time: a second assignment is refused, a transfer is accepted")
    func onePrimary() {
        let h = History(F.enrolled() + [PractitionerJoined(practitionerId: F.practitioner2, programId: F.program, teamId: F.team,
                                                           role: .practitioner, startDate: day("2026-01-05"))])
        let assign = PractitionerAssigned(enrollmentId: F.enrollment, consumerId: F.consumer, practitionerId: F.practitioner2,
                                          effectiveDate: day("2026-02-01"))
        expectRefused(when(h.state, assign), rule: "assignment.one-primary", field: "practitioner_id")
        let transfer = PractitionerTransferred(enrollmentId: F.enrollment, consumerId: F.consumer, fromPractitionerId: F.practitioner,
                                               toPractitionerId: F.practitioner2, effectiveDate: day("2026-02-01"), reason: secret)
        // pr2 has no recorded training: accepted with a warning.
        #expect(expectAccepted(when(h.state, transfer))?.warnings.map(\.rule) == ["practitioner.no-training"])
        var wrongFrom = transfer
        wrongFrom.fromPractitionerId = "pr9"
        expectRefused(when(h.state, wrongFrom), rule: "transfer.from-current-primary", field: "from_practitioner_id")
    }
}

/// Corrections judged on the record they leave: the consumer's history as corrected must pass
/// each entry's rules (`correction.breaks-record`), and dates the direct rules missed.
@Suite("Corrections keep the record's rules")
struct CorrectionRuleTests {
    static let dischargeDay = day("2026-03-01")

    /// An enrolled consumer with a goal set and achieved, a note and a discharge on 2026-03-01.
    static func discharged() -> (History, note: String, achieved: String, discharge: String) {
        var h = History(F.enrolled() + [F.goal()])
        let note = h.apply(F.session(date: day("2026-02-10")))
        let achieved = h.apply(GoalAchieved(goalId: "g1", consumerId: F.consumer, date: day("2026-02-20")))
        let discharge = h.apply(F.discharge())
        return (h, note, achieved, discharge)
    }

    static func mark(_ target: String) -> EntryMarkedInError {
        EntryMarkedInError(targetEventId: target, consumerId: F.consumer, reason: secret, author: F.user)
    }

    @Test("An amendment cannot move a note or a goal's achievement after the discharge")
    func amendedAfterDischarge() {
        let (h, note, achieved, _) = Self.discharged()
        expectRefused(when(h.state, F.amend(note, content: ["date": "2026-03-05"])), rule: "correction.breaks-record", field: "target_event_id")
        expectRefused(when(h.state, F.amend(achieved, content: ["date": "2026-03-05"])), rule: "correction.breaks-record", field: "target_event_id")
        // Within the enrollment both still move.
        expectAccepted(when(h.state, F.amend(note, content: ["date": "2026-02-12"])))
        expectAccepted(when(h.state, F.amend(achieved, content: ["date": "2026-02-25"])))
    }

    @Test("An amended discharge keeps a discharge's rules: not before the enrollment or a goal's closure, modules of the curriculum")
    func amendedDischarge() {
        let (h, _, _, discharge) = Self.discharged()
        // (The direct date rule speaks first here; the replay catches the rest.)
        expectRefused(when(h.state, F.amend(discharge, content: ["date": "2025-06-01"])), rule: "discharge.before-last-session", field: "content.date")
        expectRefused(when(h.state, F.amend(discharge, content: ["date": "2026-02-15"])), rule: "correction.breaks-record", field: "content.date")
        expectRefused(when(h.state, F.amend(discharge, content: ["modules_completed": ["healthy-lifestyle"]])),
                      rule: "correction.breaks-record", field: "content.modules_completed[0]")
        expectAccepted(when(h.state, F.amend(discharge, content: ["modules_completed": ["recovery-strategies"]])))
    }

    @Test("A mark in error cannot leave a discharged consumer with an open goal, nor restore a discharge before later care")
    func marksThatBreakTheRecord() {
        let (h, _, achieved, discharge) = Self.discharged()
        expectRefused(when(h.state, Self.mark(achieved)), rule: "correction.breaks-record", field: "target_event_id")
        // A discharge in error, care after it, then the mark itself in error: the discharge would come back before that care.
        var h2 = h
        let mark = h2.apply(Self.mark(discharge))
        h2.apply(F.session("s9", date: day("2026-03-10")))
        expectRefused(when(h2.state, Self.mark(mark)), rule: "correction.breaks-record", field: "target_event_id")
        // An enrollment in error and a second one from the same referral: restoring the first would make two.
        // An enrollment that later entries stand on is not marked in error while they do.
        let h4 = History(F.enrolled())
        expectRefused(when(h4.state, Self.mark(h4.ids[h4.ids.count - 2])), rule: "correction.breaks-record", field: "target_event_id")
        var h3 = History(F.program() + [F.referral(), F.accept()])
        let enrollment = h3.apply(F.enroll())
        expectAccepted(when(h3.state, Self.mark(enrollment)))
        let mark3 = h3.apply(Self.mark(enrollment))
        expectAccepted(when(h3.state, F.enroll(enrollment: "e2")))
        h3.apply(F.enroll(enrollment: "e2"))
        expectRefused(when(h3.state, Self.mark(mark3)), rule: "correction.breaks-record", field: "target_event_id")
    }

    @Test("Amendments keep the rules of handouts, module reviews, relapse plans, contacts, enrollments and assignments")
    func amendedContentKeepsItsRules() {
        var h = History(F.enrolled() + [F.supporter(), F.consent(scope: [.homework], from: day("2026-01-20"), until: day("2026-02-28"))])
        h.apply(F.session(date: day("2026-01-20")))
        let handout = h.apply(HandoutsProvided(consumerId: F.consumer, module: .recoveryStrategies, handoutIds: ["h1"], recipient: .consumer,
                                               date: day("2026-01-21")))
        let review = h.apply(ModuleReviewCompleted(consumerId: F.consumer, module: .recoveryStrategies, score: 80, date: day("2026-01-27")))
        let plan = h.apply(RelapsePreventionPlanRecorded(planId: "pl1", planVersion: 1, consumerId: F.consumer, triggers: ["stress"],
                                                         warningSigns: ["sleep"], actions: ["call"], date: day("2026-01-28")))
        let contact = h.apply(F.contact(on: day("2026-02-02"), purpose: .homework))
        let enrollment = h.ids[6], assignment = h.ids[7]
        for (target, content, field) in [
            (handout, ["module": "healthy-lifestyle"] as JSONValue, "content.module"),
            (review, ["module": "drug-and-alcohol-use"], "content.module"),
            (plan, ["plan_version": 7], "content.plan_version"),
            (contact, ["purpose": "goals"], "content.purpose"),
            (contact, ["date": "2026-01-02"], "content.date"),
            (enrollment, ["curriculum": "imr-third-edition"], "content.curriculum"),
            (assignment, ["effective_date": "2025-01-01"], "content.effective_date"),
        ] as [(String, JSONValue, String)] {
            let result = when(h.state, F.amend(target, content: content))
            guard case .failure(let e) = result else { Issue.record("accepted: \(content)"); continue }
            #expect(e.violations.map(\.rule).contains { $0 == "correction.breaks-record" || $0.hasPrefix("amendment.") || $0.hasPrefix("supporter.") },
                    "\(content): \(e)")
            #expect(e.violations.first?.field == field || e.violations.first?.field == "content.date", "\(content): \(e)")
            expectNoSecret(e)
        }
    }

    @Test("A correction is not amended; a mark of a goal's setting leaves its later ratings counting for nothing")
    func correctionsOfCorrections() {
        var h = History(F.enrolled())
        let note = h.apply(F.session())
        let amendment = h.apply(F.amend(note, content: ["date": "2026-01-22"]))
        expectRefused(when(h.state, F.amend(amendment, content: ["content": ["date": "2026-01-25"]])),
                      rule: "amendment.target-is-correction", field: "target_event_id")
        // A goal set in error after it was rated: the rating names it, and counts for nothing with it.
        let goal = h.apply(F.goal(date: day("2026-01-22")))
        h.apply(GoalProgressRated(goalId: "g1", consumerId: F.consumer, rating: 3, ratedBy: F.user, date: day("2026-01-29")))
        expectAccepted(when(h.state, Self.mark(goal)))
    }

    @Test("A note and a no-show for the same session contradict each other, in either order")
    func noteAndNoShow() {
        var h = History(F.enrolled())
        h.apply(F.session("s1"))
        expectRefused(when(h.state, AttendanceRecorded(sessionId: "s1", consumerId: F.consumer, date: day("2026-01-20"), status: .noShow)),
                      rule: "attendance.contradicts-note", field: "status")
        expectAccepted(when(h.state, AttendanceRecorded(sessionId: "s1", consumerId: F.consumer, date: day("2026-01-20"), status: .attended)))
        h.apply(AttendanceRecorded(sessionId: "s2", consumerId: F.consumer, date: day("2026-01-27"), status: .cancelledByConsumer))
        expectRefused(when(h.state, F.session("s2", date: day("2026-01-27"))), rule: "attendance.contradicts-note", field: "session_id")
    }

    @Test("A module review is not dated before the module was first taught")
    func reviewAfterTeaching() {
        var h = History(F.enrolled())
        h.apply(F.session(date: day("2026-03-01")))
        expectRefused(when(h.state, ModuleReviewCompleted(consumerId: F.consumer, module: .recoveryStrategies, score: 70, date: day("2026-02-01"))),
                      rule: "module-review.before-taught", field: "date")
        expectAccepted(when(h.state, ModuleReviewCompleted(consumerId: F.consumer, module: .recoveryStrategies, score: 70, date: day("2026-03-01"))))
    }

    @Test("A revocation needs a consent in force on its effective date, not one that starts later")
    func revocationBeforeConsent() {
        let h = History(F.enrolled() + [F.supporter(), F.consent(from: day("2026-03-01"), until: nil)])
        expectRefused(when(h.state, SupporterConsentRevoked(supporterId: "sp1", consumerId: F.consumer, effectiveDate: day("2026-01-20"))),
                      rule: "consent.nothing-to-revoke", field: "effective_date")
        expectAccepted(when(h.state, SupporterConsentRevoked(supporterId: "sp1", consumerId: F.consumer, effectiveDate: day("2026-03-05"))))
    }

    @Test("A rater's review with scores far out of range is refused, not a crash")
    func hugeFidelityScores() {
        let h = History(F.program())
        let review = F.fidelity(scores: Array(repeating: 9_007_199_254_740_991, count: 1100), total: 1)
        expectRefusedWith(when(h.state, review), rule: "fidelity.thirteen-items", field: "items")
    }
}
