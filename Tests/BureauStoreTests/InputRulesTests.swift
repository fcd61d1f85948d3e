import BureauStore
import Testing

@Suite("Input rules: written once, applied by every operation")
struct InputRulesTests {
    @Test(
        "display names refuse control and direction-changing characters",
        arguments: [
            "\u{1B}[2J", "bell\u{07}", "nul\u{0}", "del\u{7F}", "csi\u{9B}31m", "tab\tinside", "new\nline",
            "evil\u{202E}txt.exe", "iso\u{2066}late", "line\u{2028}sep", "mark\u{200F}",
        ]
    )
    func refused(_ name: String) {
        let problems = NewAPIKey(name: name).problems
        #expect(problems == [FieldProblem(field: "name", message: "must not contain control characters")])
        #expect(NewDesktop(name: name).problems.map(\.field) == ["name"])
        #expect(NewUser(email: "ada@example.com", name: name).problems.map(\.field) == ["name"])
    }

    @Test("display names: trimmed, 1 to 100 characters, any script and emoji")
    func accepted() throws {
        #expect(try InputRules.displayName("  CI Pipeline \n").get() == "CI Pipeline")
        #expect(try InputRules.displayName("Équipe 東京 👩‍💻").get() == "Équipe 東京 👩‍💻")
        #expect(try InputRules.displayName(String(repeating: "é", count: 100)).get().count == 100)
        #expect(NewAPIKey(name: String(repeating: "x", count: 101)).problems.first?.message == "must be at most 100 characters")
        #expect(NewAPIKey(name: " \t ").problems.first?.message == "must not be empty")
        #expect(NewAPIKey(name: nil).problems.first?.message == "is required")
    }

    @Test("emails: normalised, one rule for the API, the command line and seeds")
    func emails() throws {
        #expect(try NewUser(email: " Ada@Example.COM ").checked().get().email == "ada@example.com")
        for bad in ["not an email", "a@b", "@example.com", "ada@", "ada@.com", "ada@example.com.", "a\u{1B}@example.com", ""] {
            #expect(NewUser(email: bad).problems.map(\.field) == ["email"], "\(bad)")
        }
    }

    @Test("an empty desktop edit is valid (it changes nothing); unknown statuses list the allowed ones")
    func edits() {
        #expect(DesktopEdit(name: nil, status: nil).problems == [])
        #expect(DesktopEdit(name: nil, status: "paused").problems == [FieldProblem(field: "status", message: "must be one of: running, stopped")])
        #expect(TaskStatusChange(status: "done").problems.first?.message == "must be one of: queued, running, completed, failed, cancelled")
    }
}
