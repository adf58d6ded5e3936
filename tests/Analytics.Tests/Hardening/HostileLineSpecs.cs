using System.Text;

namespace Analytics.Tests.Hardening;

/// <summary>
/// Usage-log lines built to slip past the parser (issue 9, items 4 and 12): each is refused with a reason that names
/// the rule and quotes the right position, and none can make the parser throw.
/// </summary>
public sealed class HostileLineSpecs
{
    private const string Completed = "\"event_type\":\"llm_request_completed\"";

    private static string Refused(string line)
    {
        Assert.Null(UsageLogParser.Parse(Encoding.UTF8.GetBytes(line), out var error));
        Assert.NotNull(error);
        return error;
    }

    // ------------------------------------------------------------------ item 4: unpaired surrogates

    [Theory]
    [InlineData("x\\ud800")]        // a high surrogate with nothing after it
    [InlineData("é\\ud800y")]       // ... after a two-byte character, followed by a plain one
    [InlineData("x\\udc00")]        // a low surrogate alone
    [InlineData("x\\ud800\\u0041")] // a high surrogate followed by an escape that is not a low surrogate
    public void A_lone_surrogate_escape_in_a_string_is_refused_with_its_byte_position(string model)
    {
        var line = $$"""{{{Completed}},"agent_id":"a","model":"{{model}}"}""";
        var bytes = Encoding.UTF8.GetBytes(line);
        var at = Array.IndexOf(bytes, (byte)'\\') + 1; // 1-based position of the escape's backslash

        var error = Refused(line);

        Assert.Equal($"model holds an unpaired UTF-16 surrogate (\\u{model[(model.IndexOf('\\') + 2)..(model.IndexOf('\\') + 6)]}) at byte {at}", error);
    }

    [Fact]
    public void A_surrogate_pair_escape_is_a_valid_character()
    {
        var entry = UsageLogParser.Parse($$"""{"model":"m\ud83d\ude00",{{Completed}}}""", out var error);
        Assert.Null(error);
        Assert.Equal("m\U0001F600", entry!.Model);
    }

    [Fact]
    public void A_lone_surrogate_in_a_key_or_an_unknown_field_key_is_refused_not_thrown()
    {
        Assert.Contains("a key holds an unpaired UTF-16 surrogate", Refused($$"""{"\ud800":1,"model":"m",{{Completed}}}"""));
    }

    [Fact]
    public void A_string_with_a_lone_surrogate_given_as_text_is_refused_with_its_character_position()
    {
        Assert.Null(UsageLogParser.Parse("{\"model\":\"ab\ud800\"}", out var error));
        Assert.Equal("unpaired UTF-16 surrogate 0xD800 at character 13", error);
    }

    // ------------------------------------------------------------------ item 12: invalid UTF-8, duplicate keys, control characters

    [Fact]
    public void Invalid_utf8_is_refused_quoting_the_first_bad_byte_and_its_position()
    {
        var line = Encoding.UTF8.GetBytes($$"""{{{Completed}},"model":"gpt-4o-é"}""");
        var at = Array.IndexOf(line, (byte)0xC3); // the first byte of "é"
        line[at + 1] = 0xFF;                      // now C3 FF: C3 starts a sequence that FF cannot continue

        Assert.Null(UsageLogParser.Parse(line, out var error));
        Assert.Equal($"invalid UTF-8 at byte {at + 1} (0xC3)", error);
    }

    [Fact]
    public void A_stray_continuation_byte_is_named_exactly()
    {
        var line = Encoding.UTF8.GetBytes($$"""{{{Completed}},"model":"ab"}""");
        var at = Array.IndexOf(line, (byte)'b');
        line[at] = 0x80;

        Assert.Null(UsageLogParser.Parse(line, out var error));
        Assert.Equal($"invalid UTF-8 at byte {at + 1} (0x80)", error);
    }

    [Theory]
    [InlineData("""{"event_type":"llm_request_failed","model":"m","event_type":"llm_request_completed"}""", "event_type", "\"event_type\":\"llm_request_completed")]
    [InlineData("""{"event_type":"llm_request_completed","model":"m","mod\u0065l":"n"}""", "model", "\"mod\\u0065l")]
    [InlineData("""{"event_type":"llm_request_completed","model":"m","extra":1,"extra":2}""", "extra", "\"extra\":2")]
    public void A_repeated_key_is_refused_instead_of_the_last_one_winning(string line, string key, string repeat)
    {
        var at = line.IndexOf(repeat, StringComparison.Ordinal) + 1; // ASCII lines: characters are bytes

        var error = Refused(line);

        Assert.Equal($"duplicate key \"{key}\" at byte {at} (each key may appear once)", error);
    }

    [Theory]
    [InlineData("gpt-4o\\nFAKE ROW  9,999", "U+000A")]
    [InlineData("gpt-4o\\r", "U+000D")]
    [InlineData("gpt\\u0000", "U+0000")]
    [InlineData("gpt\\u001b[31m", "U+001B")]
    [InlineData("gpt\\u0085", "U+0085")]
    [InlineData("gpt\\u2028", "U+2028")]
    [InlineData("gpt\u0085", "U+0085")] // the C1 control raw, as UTF-8, not escaped
    public void A_control_character_in_a_name_is_refused(string model, string codePoint)
    {
        var error = Refused($$"""{{{Completed}},"model":"{{model}}"}""");
        Assert.Contains($"model holds the control character {codePoint} at byte", error);
    }

    [Fact]
    public void An_error_message_may_hold_line_breaks_and_tabs_but_not_other_controls()
    {
        var ok = UsageLogParser.Parse("""{"event_type":"llm_request_failed","model":"m","error_message":"line 1\nline 2\tx"}""", out var error);
        Assert.Null(error);
        Assert.Equal("line 1\nline 2\tx", ok!.Failure.ErrorMessage);
        Assert.Contains("error_message holds the control character U+0007", Refused("""{"event_type":"llm_request_failed","model":"m","error_message":"\u0007"}"""));
        Assert.Contains("error_code holds the control character U+000A", Refused("""{"event_type":"llm_request_failed","model":"m","error_code":"a\nb"}"""));
    }

    // ------------------------------------------------------------------ sizes

    [Fact]
    public void Names_over_256_characters_and_error_messages_over_8192_are_refused_naming_the_field()
    {
        var name = new string('m', 256);
        Assert.NotNull(UsageLogParser.Parse($$"""{{{Completed}},"model":"{{name}}"}""", out _));
        Assert.Equal("model must be at most 256 characters (got 257)", Refused($$"""{{{Completed}},"model":"{{name}}m"}"""));
        Assert.Equal("agent_id must be at most 256 characters (got 300)", Refused($$"""{{{Completed}},"model":"m","agent_id":"{{new string('a', 300)}}"}"""));
        // Characters, not bytes: 256 three-byte characters are fine, and an escape counts as the one character it stands for.
        Assert.NotNull(UsageLogParser.Parse($$"""{{{Completed}},"model":"{{new string('€', 256)}}"}""", out _));
        Assert.NotNull(UsageLogParser.Parse($$"""{{{Completed}},"model":"{{string.Concat(Enumerable.Repeat("\\u0041", 256))}}"}""", out _));
        Assert.Equal("error_message must be at most 8192 characters (got 8193)",
            Refused($$"""{"event_type":"llm_request_failed","model":"m","error_message":"{{new string('e', 8_193)}}"}"""));
    }

    [Fact]
    public void A_line_over_the_limit_is_refused_without_being_parsed()
    {
        var line = new byte[UsageLogParser.MaxLineBytes + 1];
        Array.Fill(line, (byte)' ');
        Assert.Null(UsageLogParser.Parse(line, out var error));
        Assert.Equal($"the line is {UsageLogParser.MaxLineBytes + 1} bytes, longer than the {UsageLogParser.MaxLineBytes}-byte limit", error);
    }

    [Theory]
    [InlineData("""{"event_type":"llm_request_completed","model":"m","timestamp_ms":253402300800000}""", "timestamp_ms must be <= 253402300799999")]
    [InlineData("""{"event_type":"llm_request_completed","model":"m","input_tokens":9223372036854775808}""", "input_tokens must be an integer (got 9223372036854775808)")]
    [InlineData("""{"event_type":"llm_request_completed","model":"m","input_tokens":{"a":1}}""", "input_tokens must be an integer (got {\"a\":1})")]
    [InlineData("""{"event_type":"llm_request_completed","model":["m"]}""", "model must be a string (got array)")]
    [InlineData("""{"event_type":"llm_request_completed","model":"m"} trailing""", "not valid JSON at byte 52 ('t' is invalid after a single JSON value")]
    [InlineData("""{"event_type":"llm_request_completed","model":"m"}{}""", "not valid JSON at byte 51 ('{' is invalid after a single JSON value")]
    public void Out_of_range_values_and_trailing_content_are_refused(string line, string reason)
    {
        Assert.Contains(reason, Refused(line));
    }

    [Fact]
    public void A_json_error_quotes_the_byte_where_it_is()
    {
        var error = Refused("""{"event_type":"llm_request_completed","model":"m",}""");
        Assert.StartsWith("not valid JSON at byte 51 (", error); // the '}' right after the comma
    }
}
