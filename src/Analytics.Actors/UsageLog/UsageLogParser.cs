using System.Text.Json;
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
/// Parses usage-log lines: JSON Lines with Protocol 012 field names (snake_case). Unknown fields are
/// ignored so logs written by newer producers still replay; known fields are type-checked strictly.
/// </summary>
internal static class UsageLogParser
{
    /// <summary>Parses one line; returns null and a reason when the line is malformed.</summary>
    public static UsageLogEntry? Parse(string line, out string? error)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            error = $"not valid JSON ({FirstSentence(e.Message)})";
            return null;
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = $"expected a JSON object, got {root.ValueKind.ToString().ToLowerInvariant()}";
                return null;
            }

            try
            {
                var type = String(root, "event_type") ?? throw new LineException("missing event_type");
                var failed = type switch
                {
                    EventTypes.LlmRequestCompleted => false,
                    EventTypes.LlmRequestFailed => true,
                    _ => throw new LineException($"event_type must be \"{EventTypes.LlmRequestCompleted}\" or \"{EventTypes.LlmRequestFailed}\" (got \"{type}\")"),
                };
                var model = String(root, "model");
                if (string.IsNullOrWhiteSpace(model)) throw new LineException("missing model");

                var usage = new TokenUsage(
                    Count(root, "input_tokens") ?? 0,
                    Count(root, "output_tokens") ?? 0,
                    Count(root, "cache_read_input_tokens") ?? 0,
                    Count(root, "cache_creation_input_tokens") ?? 0,
                    Count(root, "reasoning_tokens") ?? 0);
                var usageError = usage.Validate();
                if (usageError is not null) throw new LineException(usageError);

                var eventId = String(root, "event_id");
                if (eventId is { Length: 0 }) throw new LineException("event_id must not be empty");

                error = null;
                return new UsageLogEntry
                {
                    Failed = failed,
                    Model = model,
                    Identity = new EventIdentity { EventId = eventId, TimestampMs = Count(root, "timestamp_ms") ?? 0 },
                    Attribution = new RequestAttribution
                    {
                        AgentId = NonEmpty(String(root, "agent_id")),
                        Provider = NonEmpty(String(root, "provider")),
                        ProviderId = NonEmpty(String(root, "provider_id")),
                    },
                    Usage = usage,
                    CostMicros = Count(root, "cost_micros"),
                    Timing = new RequestTiming { DurationMs = Count(root, "duration_ms"), TimeToFirstTokenMs = Count(root, "time_to_first_token_ms") },
                    Failure = new RequestFailure { ErrorCode = String(root, "error_code"), ErrorMessage = String(root, "error_message") },
                };
            }
            catch (LineException e)
            {
                error = e.Message;
                return null;
            }
        }
    }

    private static string? String(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw new LineException($"{name} must be a string (got {v.ValueKind.ToString().ToLowerInvariant()})");
        return v.GetString();
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    private static long? Count(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var n))
            throw new LineException($"{name} must be an integer (got {Text.Shorten(v.GetRawText())})");
        if (n < 0) throw new LineException($"{name} must be >= 0 (got {n})");
        return n;
    }


    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message.TrimEnd('.');
    }

    private sealed class LineException(string message) : Exception(message);
}
