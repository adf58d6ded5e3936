using System.Globalization;
using System.Text;
using System.Text.Json;
using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Actors.UsageLog;

/// <summary>One valid line of a usage log.</summary>
internal sealed record UsageLogEntry
{
    public required bool Failed { get; init; }
    public required string Model { get; init; }
    public EventIdentity Identity { get; init; }
    public RequestAttribution Attribution { get; init; }
    public TokenUsage Usage { get; init; }
    public long? CostMicros { get; init; }
    public RequestTiming Timing { get; init; }
    public RequestFailure Failure { get; init; }

    /// <summary>Offers the entry to <paramref name="recorder"/>; false when the ring is full (try again later).</summary>
    /// <exception cref="ArgumentException">The recorder refused the entry; the message says why.</exception>
    public bool TryRecord(UsageRecorder recorder) => Failed
        ? recorder.TryRecordFailed(Model, Attribution, Failure, Timing, Identity)
        : recorder.TryRecordCompleted(Model, Usage, Attribution, Timing, CostMicros, Identity);
}

/// <summary>
/// Parses usage-log lines: JSON Lines with Protocol 012 field names (snake_case). Unknown fields are ignored so logs
/// written by newer producers still replay; known fields are type-checked strictly. This is the one place where text
/// input is validated (the replay reads through it, and so will HTTP ingest), so the string rules live here:
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>a line is at most <see cref="MaxLineBytes"/> bytes of valid UTF-8 (an error quotes the first bad byte);</item>
/// <item>a key may appear once in the top-level object (a repeated key would let the last one silently win);</item>
/// <item>string fields hold no unpaired UTF-16 surrogate (<c>\ud800</c> escapes) and no control character (C0, DEL, C1,
/// U+2028, U+2029; <c>error_message</c> may hold tab, LF and CR), so a value can never break a report line;</item>
/// <item>names are at most <see cref="RecordValidator.MaxNameLength"/> characters, <c>error_message</c> at most
/// <see cref="RecordValidator.MaxErrorMessageLength"/>, counts are integers from 0 to <see cref="long.MaxValue"/>,
/// and <c>timestamp_ms</c> is at most <see cref="RecordValidator.MaxTimestampMs"/>.</item>
/// </list>
/// Positions in error messages are 1-based byte positions in the line. Parsing never throws: every line is an entry
/// or an error.
/// </remarks>
internal static class UsageLogParser
{
    /// <summary>The longest line accepted, in bytes (1 MiB); a longer one is skipped whole.</summary>
    public const int MaxLineBytes = 1 << 20;

    // Indices into Fields, in the order Fields lists them.
    private const int EventType = 0, Model = 1, EventId = 2, TimestampMs = 3, AgentId = 4, Provider = 5, ProviderId = 6, InputTokens = 7,
        OutputTokens = 8, CacheRead = 9, CacheCreation = 10, Reasoning = 11, CostMicros = 12, DurationMs = 13, TimeToFirstToken = 14,
        ErrorCode = 15, ErrorMessage = 16;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    private static readonly FieldSpec[] Fields =
    [
        new("event_type", FieldKind.Name), new("model", FieldKind.Name), new("event_id", FieldKind.Name), new("timestamp_ms", FieldKind.Count),
        new("agent_id", FieldKind.Name), new("provider", FieldKind.Name), new("provider_id", FieldKind.Name),
        new("input_tokens", FieldKind.Count), new("output_tokens", FieldKind.Count), new("cache_read_input_tokens", FieldKind.Count),
        new("cache_creation_input_tokens", FieldKind.Count), new("reasoning_tokens", FieldKind.Count), new("cost_micros", FieldKind.Count),
        new("duration_ms", FieldKind.Count), new("time_to_first_token_ms", FieldKind.Count),
        new("error_code", FieldKind.Name), new("error_message", FieldKind.FreeText),
    ];

    /// <summary>
    /// Parses one line given as a string (tests, callers holding text): a string with an unpaired surrogate has no
    /// faithful UTF-8 form, so it is refused here with its character position.
    /// </summary>
    public static UsageLogEntry? Parse(string line, out string? error)
    {
        var bad = Text.FindUnpairedSurrogate(line);
        if (bad >= 0)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"unpaired UTF-16 surrogate 0x{(int)line[bad]:X4} at character {bad + 1}");
            return null;
        }
        return Parse(Encoding.UTF8.GetBytes(line), out error);
    }

    /// <summary>Parses one line of UTF-8 (without its line break); returns null and a reason when the line is malformed.</summary>
    public static UsageLogEntry? Parse(ReadOnlySpan<byte> line, out string? error)
    {
        try
        {
            return ParseChecked(line, out error);
        }
        catch (LineException e)
        {
            error = e.Message;
            return null;
        }
        catch (JsonException e)
        {
            // BytePositionInLine is 0-based; the line holds no line break, so it is the position in the line.
            error = e.BytePositionInLine is { } at
                ? string.Create(CultureInfo.InvariantCulture, $"not valid JSON at byte {at + 1} ({FirstSentence(e.Message)})")
                : $"not valid JSON ({FirstSentence(e.Message)})";
            return null;
        }
    }

    private static UsageLogEntry? ParseChecked(ReadOnlySpan<byte> line, out string? error)
    {
        if (line.Length > MaxLineBytes)
            throw new LineException(string.Create(CultureInfo.InvariantCulture, $"the line is {line.Length} bytes, longer than the {MaxLineBytes}-byte limit"));
        var invalid = Text.FindInvalidUtf8(line);
        if (invalid >= 0)
            throw new LineException(string.Create(CultureInfo.InvariantCulture, $"invalid UTF-8 at byte {invalid + 1} (0x{line[invalid]:X2})"));

        var values = Scan(line);

        var type = String(values, EventType) ?? throw new LineException("missing event_type");
        var failed = type switch
        {
            EventTypes.LlmRequestCompleted => false,
            EventTypes.LlmRequestFailed => true,
            _ => throw new LineException($"event_type must be \"{EventTypes.LlmRequestCompleted}\" or \"{EventTypes.LlmRequestFailed}\" (got \"{Text.Shorten(type)}\")"),
        };
        var model = String(values, Model);
        if (string.IsNullOrWhiteSpace(model)) throw new LineException("missing model");

        var usage = new TokenUsage(Count(values, InputTokens) ?? 0, Count(values, OutputTokens) ?? 0, Count(values, CacheRead) ?? 0,
            Count(values, CacheCreation) ?? 0, Count(values, Reasoning) ?? 0);
        var usageError = usage.Validate();
        if (usageError is not null) throw new LineException(usageError);

        var eventId = String(values, EventId);
        if (eventId is { Length: 0 }) throw new LineException("event_id must not be empty");
        var timestamp = Count(values, TimestampMs) ?? 0;
        if (RecordValidator.Timestamp(timestamp) is { } stampError) throw new LineException(stampError);

        error = null;
        return new UsageLogEntry
        {
            Failed = failed,
            Model = model,
            Identity = new EventIdentity { EventId = eventId, TimestampMs = timestamp },
            Attribution = new RequestAttribution
            {
                AgentId = NonEmpty(String(values, AgentId)),
                Provider = NonEmpty(String(values, Provider)),
                ProviderId = NonEmpty(String(values, ProviderId)),
            },
            Usage = usage,
            CostMicros = Count(values, CostMicros),
            Timing = new RequestTiming { DurationMs = Count(values, DurationMs), TimeToFirstTokenMs = Count(values, TimeToFirstToken) },
            Failure = new RequestFailure { ErrorCode = String(values, ErrorCode), ErrorMessage = String(values, ErrorMessage) },
        };
    }

    /// <summary>
    /// Reads the top-level object once: each known field's value (or the problem with it, reported later in a fixed
    /// order so a line's first complaint does not depend on its key order), duplicate keys refused where they appear.
    /// </summary>
    private static Value[] Scan(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        if (!reader.Read()) throw new LineException("not valid JSON (the line holds no value)");
        if (reader.TokenType != JsonTokenType.StartObject) throw new LineException($"expected a JSON object, got {KindName(reader.TokenType)}");

        var values = new Value[Fields.Length];
        HashSet<string>? otherKeys = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var keyAt = (int)reader.TokenStartIndex + 1;
            // Checked before anything decodes it: an unpaired surrogate escape in a key must be an error, not an exception.
            var keyProblem = CheckString(ref reader, "a key", int.MaxValue, allowLineBreaks: false);
            if (keyProblem is not null) throw new LineException(keyProblem);
            var field = Match(ref reader);
            if (field < 0)
            {
                // An unknown key: its value is ignored, but a repeat is refused like any other.
                var key = reader.GetString()!;
                if (!(otherKeys ??= new HashSet<string>(StringComparer.Ordinal)).Add(key)) throw Duplicate(key, keyAt);
                reader.Read();
                reader.Skip();
                continue;
            }

            if (values[field].Seen) throw Duplicate(Fields[field].Name, keyAt);
            values[field].Seen = true;
            reader.Read();
            values[field] = Fields[field].Kind == FieldKind.Count ? ReadCount(ref reader, line, field) : ReadString(ref reader, line, field);
        }
        // The object is closed; anything but whitespace after it makes the next Read throw "invalid after a single JSON value".
        if (reader.Read()) throw new LineException("not valid JSON (more than one value on the line)");
        return values;
    }

    private static int Match(ref Utf8JsonReader reader)
    {
        for (var i = 0; i < Fields.Length; i++)
        {
            if (reader.ValueTextEquals(Fields[i].Utf8)) return i;
        }
        return -1;
    }

    private static Value ReadString(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, int field)
    {
        var spec = Fields[field];
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return new Value { Seen = true };
            case JsonTokenType.String:
                var max = spec.Kind == FieldKind.FreeText ? RecordValidator.MaxErrorMessageLength : RecordValidator.MaxNameLength;
                var problem = CheckString(ref reader, spec.Name, max, allowLineBreaks: spec.Kind == FieldKind.FreeText);
                return problem is not null ? new Value { Seen = true, Error = problem } : new Value { Seen = true, Text = reader.GetString() };
            default:
                var kind = KindName(reader.TokenType);
                SkipValue(ref reader, line);
                return new Value { Seen = true, Error = $"{spec.Name} must be a string (got {kind})" };
        }
    }

    private static Value ReadCount(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, int field)
    {
        var name = Fields[field].Name;
        if (reader.TokenType == JsonTokenType.Null) return new Value { Seen = true };
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n))
        {
            return n < 0
                ? new Value { Seen = true, Error = string.Create(CultureInfo.InvariantCulture, $"{name} must be >= 0 (got {n})") }
                : new Value { Seen = true, Number = n, HasNumber = true };
        }
        var raw = SkipValue(ref reader, line);
        return new Value { Seen = true, Error = $"{name} must be an integer (got {Text.Shorten(Encoding.UTF8.GetString(raw))})" };
    }

    /// <summary>Moves past the current value and returns its text as written (quotes, brackets and all).</summary>
    private static ReadOnlySpan<byte> SkipValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> line)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return line[start..(int)reader.BytesConsumed];
    }

    /// <summary>
    /// Checks the current string token as written (escapes included) before it is decoded: no unpaired surrogate
    /// escape, no control character, at most <paramref name="maxChars"/> UTF-16 characters. Returns null or the problem,
    /// quoting the byte position of the offending character in the line.
    /// </summary>
    private static string? CheckString(ref Utf8JsonReader reader, string what, int maxChars, bool allowLineBreaks)
    {
        // The reader has checked the escape syntax and the line is valid UTF-8, so only the meaning is left to check.
        var raw = reader.ValueSpan;
        var start = (int)reader.TokenStartIndex + 1; // the opening quote
        var chars = 0;
        var i = 0;
        while (i < raw.Length)
        {
            var at = start + i + 1;
            int codePoint;
            if (raw[i] == (byte)'\\')
            {
                var escape = raw[i + 1];
                if (escape == (byte)'u')
                {
                    var unit = Hex4(raw.Slice(i + 2, 4));
                    i += 6;
                    if (char.IsHighSurrogate((char)unit) && i + 6 <= raw.Length && raw[i] == (byte)'\\' && raw[i + 1] == (byte)'u'
                        && char.IsLowSurrogate((char)Hex4(raw.Slice(i + 2, 4))))
                    {
                        i += 6;
                        chars += 2;
                        continue;
                    }
                    if (char.IsSurrogate((char)unit))
                        return string.Create(CultureInfo.InvariantCulture, $"{what} holds an unpaired UTF-16 surrogate (\\u{unit:x4}) at byte {at}");
                    codePoint = unit;
                }
                else
                {
                    codePoint = escape switch { (byte)'n' => '\n', (byte)'r' => '\r', (byte)'t' => '\t', (byte)'b' => '\b', (byte)'f' => '\f', _ => escape };
                    i += 2;
                }
                chars++;
            }
            else
            {
                Rune.DecodeFromUtf8(raw[i..], out var rune, out var consumed);
                codePoint = rune.Value;
                i += consumed;
                chars += rune.Utf16SequenceLength;
            }
            if (Text.IsForbiddenControl(codePoint, allowLineBreaks))
                return string.Create(CultureInfo.InvariantCulture, $"{what} holds the control character U+{codePoint:X4} at byte {at}");
        }
        return chars > maxChars ? string.Create(CultureInfo.InvariantCulture, $"{what} must be at most {maxChars} characters (got {chars})") : null;
    }

    private static int Hex4(ReadOnlySpan<byte> hex)
    {
        var value = 0;
        foreach (var b in hex) value = (value << 4) | (b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
        return value;
    }

    private static LineException Duplicate(string key, int at)
        => new(string.Create(CultureInfo.InvariantCulture, $"duplicate key \"{Text.Shorten(key)}\" at byte {at} (each key may appear once)"));

    private static string? String(Value[] values, int field)
    {
        var v = values[field];
        return v.Error is not null ? throw new LineException(v.Error) : v.Text;
    }

    private static long? Count(Value[] values, int field)
    {
        var v = values[field];
        if (v.Error is not null) throw new LineException(v.Error);
        return v.HasNumber ? v.Number : null;
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    private static string KindName(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => token.ToString().ToLowerInvariant(),
    };

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message.TrimEnd('.');
    }

    private enum FieldKind
    {
        /// <summary>An identifier-like string: at most <see cref="RecordValidator.MaxNameLength"/> characters, no control character.</summary>
        Name,

        /// <summary>Free text (<c>error_message</c>): longer, and tab, LF and CR are allowed.</summary>
        FreeText,

        /// <summary>An integer from 0 to <see cref="long.MaxValue"/>.</summary>
        Count,
    }

    private sealed record FieldSpec(string Name, FieldKind Kind)
    {
        public byte[] Utf8 { get; } = Encoding.UTF8.GetBytes(Name);
    }

    private struct Value
    {
        public bool Seen;
        public bool HasNumber;
        public long Number;
        public string? Text;
        public string? Error;
    }

    private sealed class LineException(string message) : Exception(message);
}
