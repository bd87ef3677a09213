import CanonicalJSON
import Testing

@Suite("RFC 8785 examples")
struct RFC8785ExampleTests {
    /// RFC 8785 §3.2.3 sample input, with the one number our preservation rule rejects swapped
    /// for the double it denotes (see `sampleWithUnpreservedNumberIsRejected`).
    static let sample = #"""
    {
      "numbers": [333333333.3333333, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }
    """#

    @Test("§3.2.3 sample canonicalizes to the RFC output")
    func sampleOutput() throws {
        let expected = #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        #expect(try canonical(Self.sample) == expected)
    }

    @Test("§3.2.3 sample as published (333333333.33333329) is rejected as not preserved")
    func sampleWithUnpreservedNumberIsRejected() {
        let original = Self.sample.replacingOccurrences333()
        let error = parseError(utf8(original))
        #expect(error?.rule == .numberNotPreserved)
        #expect(error?.path == "$.numbers[0]")
    }

    @Test("§3.2.3 sample numbers through the serializer directly")
    func sampleNumbers() {
        #expect(numberText(333333333.33333329) == "333333333.3333333")
        #expect(numberText(1e30) == "1e+30")
        #expect(numberText(4.50) == "4.5")
        #expect(numberText(2e-3) == "0.002")
        #expect(numberText(0.000000000000000000000000001) == "1e-27")
    }

    @Test("§3.2.3 string example")
    func stringExample() throws {
        let input = #""\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/""#
        #expect(try canonical(input) == #""€$\u000f\nA'B\"\\\\\"/""#)
    }

    @Test("§3.2.3 sorting example orders by UTF-16 code units")
    func sortingExample() throws {
        let input = #"""
        {
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }
        """#
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\","
            + "\"\u{F6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20AC}\":\"Euro Sign\","
            + "\"\u{1F600}\":\"Emoji: Grinning Face\",\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        let out = try JSONValue(parsing: input).canonicalBytes
        #expect(out == utf8(expected))
    }

    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text (each row also
    /// re-derived with an independent Python 3 model before being written here).
    static let appendixB: [(bits: UInt64, expected: String)] = [
        (0x0000_0000_0000_0000, "0"),
        (0x8000_0000_0000_0000, "0"),
        (0x0000_0000_0000_0001, "5e-324"),
        (0x8000_0000_0000_0001, "-5e-324"),
        (0x7FEF_FFFF_FFFF_FFFF, "1.7976931348623157e+308"),
        (0xFFEF_FFFF_FFFF_FFFF, "-1.7976931348623157e+308"),
        (0x4340_0000_0000_0000, "9007199254740992"),
        (0xC340_0000_0000_0000, "-9007199254740992"),
        (0x4430_0000_0000_0000, "295147905179352830000"),
        (0x44B5_2D02_C7E1_4AF5, "9.999999999999997e+22"),
        (0x44B5_2D02_C7E1_4AF6, "1e+23"),
        (0x44B5_2D02_C7E1_4AF7, "1.0000000000000001e+23"),
        (0x444B_1AE4_D6E2_EF4E, "999999999999999700000"),
        (0x444B_1AE4_D6E2_EF4F, "999999999999999900000"),
        (0x444B_1AE4_D6E2_EF50, "1e+21"),
        (0x3EB0_C6F7_A0B5_ED8C, "9.999999999999997e-7"),
        (0x3EB0_C6F7_A0B5_ED8D, "0.000001"),
        (0x41B3_DE43_5555_5553, "333333333.3333332"),
        (0x41B3_DE43_5555_5554, "333333333.33333325"),
        (0x41B3_DE43_5555_5555, "333333333.3333333"),
        (0x41B3_DE43_5555_5556, "333333333.3333334"),
        (0x41B3_DE43_5555_5557, "333333333.33333343"),
        (0xBECB_F647_612F_3696, "-0.0000033333333333333333"),
        (0x4314_3FF3_C1CB_0959, "1424953923781206.2"),
        (0x4D7B_3F1F_84EC_0F34, "1.7933745132961334e+65"),
    ]

    @Test("Appendix B number table", arguments: appendixB)
    func appendixBRow(bits: UInt64, expected: String) {
        #expect(numberText(Double(bitPattern: bits)) == expected)
    }

    @Test("Random doubles match an independent ECMAScript model", arguments: pythonNumberVectors)
    func pythonVector(bits: UInt64, expected: String) {
        #expect(numberText(Double(bitPattern: bits)) == expected)
    }

    @Test("ECMAScript layout boundaries", arguments: [
        (1e21, "1e+21"), (1e20, "100000000000000000000"), (1e-7, "1e-7"), (1e-6, "0.000001"),
        (0.000001234, "0.000001234"), (123.456, "123.456"), (1.5e300, "1.5e+300"), (Double.leastNonzeroMagnitude, "5e-324"),
        (-0.0, "0"), (100.0, "100"), (-5.0, "-5"), (0.1, "0.1"), (-1.5, "-1.5"), (1.25e-7, "1.25e-7"),
        (9007199254740991.0, "9007199254740991"), (-9007199254740991.0, "-9007199254740991"),
        (123456789012345680000.0, "123456789012345680000"), (1.2e21, "1.2e+21"), (0.5, "0.5"),
    ] as [(Double, String)])
    func layout(value: Double, expected: String) {
        #expect(numberText(value) == expected)
    }
}

extension String {
    /// The published §3.2.3 sample number, restored.
    fileprivate func replacingOccurrences333() -> String {
        var out = ""
        var rest = Substring(self)
        let needle = "333333333.3333333,"
        if let r = rest.firstRange(of: needle) {
            out += rest[..<r.lowerBound]
            out += "333333333.33333329,"
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
