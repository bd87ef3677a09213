import ClinicalRecord

/// Synthetic free text for notes, goals and plans. None of it describes a real person.
enum Phrases {
    static let referralReasons = [
        "Wants to learn more about managing symptoms and staying out of hospital.",
        "Treatment team suggests IMR after a recent relapse.",
        "Asked for help setting personal recovery goals.",
        "Frequent crisis contacts; team hopes IMR builds coping skills.",
        "Consumer heard about IMR from a peer and asked to join.",
        "Psychiatrist recommends work on medication routines.",
        "Wants support returning to work and building a routine.",
    ]
    static let referrers = ["Case manager", "Psychiatrist", "Peer specialist", "Nurse practitioner", "Inpatient unit", "Self"]
    static let declineReasons = [
        "Consumer chose not to take part at this time.",
        "Currently needs a higher level of care; re-refer after discharge.",
        "Lives outside the program's service area.",
        "No capacity this quarter; placed on the agency waiting list.",
    ]
    static let goalTexts = [
        "I want to get a part-time job.", "I want to see my kids every weekend.", "I want to go back to school.",
        "I want to sleep better and feel rested.", "I want to make one new friend.", "I want to stay out of the hospital this year.",
        "I want to move into my own apartment.", "I want to walk every day to feel healthier.", "I want to handle the voices better.",
        "I want to cook for myself.", "I want to volunteer at the library.", "I want to manage my money.",
    ]
    static let goalTextsClinical = [
        "Improve medication adherence.", "Reduce hospitalizations.", "Increase social functioning.", "Decrease symptoms.",
    ]
    static let criteria = [
        "Submit three job applications by the target date.", "Attend two visits a month.", "Enroll in one class next term.",
        "Sleep seven hours on five nights a week.", "Meet someone new at the drop-in centre twice a month.",
        "No inpatient days in twelve months.", "Sign a lease by the target date.", "Walk 20 minutes on five days a week.",
        "Use a coping strategy and rate distress before and after, three times a week.", "Cook dinner four nights a week.",
        "Volunteer one afternoon a week.", "Keep a weekly budget for two months.",
    ]
    static let steps = [
        "Update my resume with my practitioner.", "Call the employment specialist.", "Write down a weekly schedule.",
        "Ask my sister to help with the forms.", "Try one relaxation exercise each evening.", "Visit the program's drop-in hour.",
        "Pick up a course catalogue.", "Look at two apartments.", "Set a phone reminder.",
    ]
    static let planProblems = [
        "Symptoms interfere with daily routine", "Social isolation", "Unstable housing", "Medication side effects",
        "Risk of relapse", "Unemployment", "Stress at home", "Substance use affects mood",
    ]
    static let homework = [
        "Read the handout and mark two points to discuss.", "Practise deep breathing twice a day and note what helped.",
        "Talk with a supporter about the stress-vulnerability model.", "Fill in the early warning signs worksheet.",
        "List three people who could be supports.", "Try the coping strategy when symptoms rise and rate it.",
        "Write down pros and cons of taking medication daily.", "Track sleep for one week.",
        "Take one step toward the personal goal.", "Review the relapse prevention plan with a family member.",
    ]
    static let consumerViews = [
        "Found the session helpful; wants to keep practising.", "Felt tired today but liked the role play.",
        "Says the breathing exercise works “a little”.", "Proud of finishing homework.", "Unsure the material applies to them.",
        "Wants more time on goals next week.", "Enjoyed hearing other members' strategies.",
    ]
    static let practitionerViews = [
        "Engaged and asked good questions.", "Understood the main points; needs review of the handout.",
        "Made progress toward goal; homework completed.", "Distracted by symptoms; shortened teaching.",
        "Good use of coping strategy this week.", "Needs more practice; plan role play next time.",
    ]
    static let nextPlans = [
        "Review homework, continue the module.", "Start the next module.", "Follow up on the goal step.",
        "Role-play asking for help.", "Review the relapse prevention plan.", "Complete module review questions.",
    ]
    static let absentSignature = ["Consumer left before signing.", "Session held by phone.", "Consumer declined to sign today."]
    static let noShowReasons = ["Did not come; no call.", "Overslept.", "Transport fell through.", "Unwell."]
    static let supporterNames = [
        "Ana M.", "Ben T.", "Carla R.", "Dev P.", "Elena S.", "Frank O.", "Grace L.", "Hal K.", "Ines V.", "Jon W.",
    ]
    static let relationships = ["mother", "father", "sister", "brother", "partner", "friend", "adult child", "aunt", "roommate"]
    static let triggers = ["Stopping medication", "Conflict at home", "Loss of sleep", "Anniversary of a loss", "Money worries", "Drinking"]
    static let warningSigns = ["Sleeping less", "Staying in my room", "Hearing voices more", "Feeling suspicious", "Skipping meals", "Irritability"]
    static let actions = [
        "Call my practitioner", "Tell my sister", "Use the relaxation exercise", "Ask for a medication review",
        "Keep my daily routine", "Go to the drop-in centre",
    ]
    static let sharedWith = ["treatment team", "psychiatrist", "family", "peer specialist"]
    static let inventory: [InventorySection: [String]] = [
        .dailyRoutine: ["Lives alone in an apartment; mornings are slow.", "Lives with family; helps with chores.", "Supported housing; likes walks."],
        .educationAndWork: ["Finished high school; worked in retail.", "Some college; interested in computers.", "Worked in construction years ago."],
        .leisure: ["Draws and listens to music.", "Plays guitar.", "Reads mysteries and watches football."],
        .relationships: ["Close to a sister; would like her involved.", "Has one good friend.", "Wants more friends."],
        .spirituality: ["Attends church sometimes.", "Finds peace outdoors.", "Not important right now."],
        .health: ["Trying to eat better; sleep is poor.", "Walks daily; has diabetes.", "Smokes; wants to cut down."],
        .priorPrograms: ["Went to a peer support group once.", "Did WRAP two years ago.", "No prior programs."],
        .viewsOnRecovery: ["Recovery means having a job and friends.", "Not sure recovery is possible yet.", "Wants fewer symptoms."],
        .questionsAndHopes: ["Wants to understand the diagnosis.", "Hopes to stay out of hospital.", "Wants tools for stress."],
    ]
    static let moduleReviewAnswers = [
        "Named two strategies that help.", "Explained the stress-vulnerability model in own words.",
        "Listed early warning signs.", "Described how to ask the doctor about side effects.",
    ]
    static let boosterReferrals = ["Monthly booster group.", "Peer-led recovery group.", "WRAP group at the drop-in centre."]
    static let contactNotes = [
        "Reviewed homework the consumer is practising at home.", "Shared the module handouts.",
        "Talked through the relapse prevention plan.", "Discussed progress toward the goal.", "Invited to next session.",
    ]
}
