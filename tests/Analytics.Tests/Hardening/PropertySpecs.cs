using System.Text;
using Akka.Actor;
using Analytics.Tests.Pump;
using CsCheck;
using Xunit.Abstractions;

namespace Analytics.Tests.Hardening;

/// <summary>
/// Properties checked on generated inputs (CsCheck: random generation, shrinking to a minimal counter-example):
/// the reader and parser on any bytes, the hot path's quick validity check against the rule set, and the accounting
/// identities under any interleaving of records, drops and stats reads on real threads.
/// </summary>
public sealed class PropertySpecs(ITestOutputHelper output) : PumpHarness(output)
{
    /// <summary>Fragments of usage logs in any order: JSON punctuation, line breaks, escapes, bad UTF-8, anything.</summary>
    private static readonly Gen<byte[]> Soup = Gen.OneOf(
            Gen.Byte.Array[0, 8],
            Gen.OneOf("\n", "\r", "\r\n", "{", "}", "\"", ":", ",", "[", "]", "\\u", "\\ud800", "\\udc00", "\\n", "d83d", "\uFEFF", "é", "\u2028")
                .Select(Encoding.UTF8.GetBytes),
            Gen.OneOf(new byte[] { 0xFF }, [0xC3], [0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xEF, 0xBB, 0xBF], [0xFF, 0xFE]))
        .Array[0, 60]
        .Select(parts => parts.SelectMany(p => p).ToArray());

    /// <summary>Lines shaped like usage-log objects, with hostile keys and values, so the parser gets past the JSON syntax.</summary>
    private static readonly Gen<byte[]> Objects = Gen.Select(
            Gen.OneOf("event_type", "model", "event_id", "timestamp_ms", "agent_id", "input_tokens", "output_tokens", "cache_read_input_tokens",
                "reasoning_tokens", "cost_micros", "error_message", "extra", "\\ud800", "mod\\u0065l", "a\\u0000"),
            Gen.OneOf("\"llm_request_completed\"", "\"llm_request_failed\"", "\"gpt-4o\"", "\"x\\ud800\"", "\"\\udc00y\"", "\"\\ud83d\\ude00\"",
                "\"a\\nb\"", "\"\\u0085\"", "\"é\"", "\"\"", "12", "-1", "1.5", "1e3", "9223372036854775807", "99999999999999999999", "null", "true",
                "{\"a\":[1,{}]}", "[]"))
        .Select((key, value) => $"\"{key}\":{value}")
        .Array[0, 8]
        .Select(fields => Encoding.UTF8.GetBytes("{" + string.Join(",", fields) + "}"));

    /// <summary>
    /// Lines that start as a valid event and then get hostile fields appended, so a good share of them parse: random
    /// fields alone almost never hold both required fields, which left the "some lines are recorded" half of the
    /// property to luck.
    /// </summary>
    private static readonly Gen<byte[]> ValidThenHostile = Gen.Select(
            Gen.OneOf("{\"event_type\":\"llm_request_completed\",\"model\":\"gpt-4o\"", "{\"model\":\"m\",\"event_type\":\"llm_request_failed\""),
            Objects)
        .Select((start, rest) => rest.Length <= 2
            ? Encoding.UTF8.GetBytes(start + "}")
            : Encoding.UTF8.GetBytes(start + "," + Encoding.UTF8.GetString(rest, 1, rest.Length - 1)));

    /// <summary>A log: structured lines and soup, separated by any line break.</summary>
    private static readonly Gen<byte[]> LogBytes = Gen.Select(Gen.OneOf(Objects, ValidThenHostile, Soup), Gen.OneOf("\n", "\r\n", "\r", ""))
        .Select((line, end) => line.Concat(Encoding.UTF8.GetBytes(end)).ToArray())
        .Array[0, 12]
        .Select(lines => lines.SelectMany(l => l).ToArray());

    [Fact]
    public void On_any_bytes_the_reader_and_parser_never_throw_and_every_line_is_recorded_skipped_or_blank()
    {
        long allEntries = 0, allErrors = 0;
        LogBytes.Sample(bytes =>
        {
            var expected = ExpectedLines(bytes);
            long lines = 0, entries = 0, errors = 0, blank = 0;
            using var reader = new UsageLogReader(new MemoryStream(bytes), maxLineBytes: 160);
            try
            {
                while (reader.ReadLineAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult() is { } line)
                {
                    lines++;
                    Assert.Equal(lines, line.Number);
                    if (line.TooLong) errors++;
                    else if (line.IsBlank) blank++;
                    else if (UsageLogParser.Parse(line.Bytes.Span, out var error) is null)
                    {
                        Assert.False(string.IsNullOrEmpty(error));
                        errors++;
                    }
                    else
                    {
                        entries++;
                    }
                }
            }
            catch (UsageLogEncodingException)
            {
                // A UTF-16 byte order mark: the whole log is refused up front, before any line.
                Assert.Equal(0, lines);
                Assert.True(bytes is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..]);
                return;
            }
            Assert.Equal(expected, lines);
            Assert.Equal(lines, entries + errors + blank);
            Interlocked.Add(ref allEntries, entries);
            Interlocked.Add(ref allErrors, errors);
        }, iter: 3_000);
        // The generator reaches both outcomes, so the property is not vacuous.
        Assert.True(allEntries > 0 && allErrors > 0, $"{allEntries} entries, {allErrors} errors");
    }

    /// <summary>An independent count of lines: breaks are LF, CR LF or CR; a UTF-8 BOM at the start is not content.</summary>
    private static long ExpectedLines(byte[] bytes)
    {
        var start = bytes is [0xEF, 0xBB, 0xBF, ..] ? 3 : 0;
        long count = 0;
        var pending = false;
        for (var i = start; i < bytes.Length; i++)
        {
            if (bytes[i] is (byte)'\n' or (byte)'\r')
            {
                count++;
                pending = false;
                if (bytes[i] == '\r' && i + 1 < bytes.Length && bytes[i + 1] == '\n') i++;
            }
            else
            {
                pending = true;
            }
        }
        return count + (pending ? 1 : 0);
    }

    private static readonly Gen<string?> Names = Gen.Frequency(
        (2, Gen.Const((string?)null)),
        (1, Gen.Const((string?)"")),
        (4, Gen.Int[1, 300].Select(n => (string?)new string('n', n))),
        (2, Gen.OneOf(255, 256, 257).Select(n => (string?)new string('n', n))));

    private static readonly Gen<long> Counts = Gen.Frequency(
        (4, Gen.Long[0, 1_000]),
        (1, Gen.Long[-3, -1]),
        (1, Gen.OneOf(long.MaxValue, long.MinValue, long.MaxValue - 1, RecordValidator.MaxTimestampMs, RecordValidator.MaxTimestampMs + 1)));

    private static readonly Gen<long?> Optional = Gen.Frequency((1, Gen.Const((long?)null)), (3, Counts.Select(v => (long?)v)));

    [Fact]
    public void The_hot_path_check_of_a_completed_request_accepts_exactly_what_the_rule_set_accepts()
    {
        Gen.Select(Names, Gen.Select(Counts, Counts, Counts, Counts, Counts), Optional, Gen.Select(Optional, Optional),
                Gen.Select(Names, Names, Names), Gen.Select(Names, Counts))
            .Sample((model, t, cost, timing, a, id) =>
            {
                var usage = new TokenUsage(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5);
                var time = new RequestTiming { DurationMs = timing.Item1, TimeToFirstTokenMs = timing.Item2 };
                var attribution = new RequestAttribution { AgentId = a.Item1, Provider = a.Item2, ProviderId = a.Item3 };
                var identity = new EventIdentity { EventId = id.Item1, TimestampMs = id.Item2 };
                var slow = RecordValidator.Completed(model, usage, cost, time) ?? RecordValidator.Attribution(attribution) ?? RecordValidator.Identity(identity);
                Assert.Equal(slow is null, RecordValidator.QuickCompleted(model, usage, cost, time, attribution, identity));
            }, iter: 20_000);
    }

    [Fact]
    public void The_hot_path_check_of_a_failed_request_accepts_exactly_what_the_rule_set_accepts()
    {
        var messages = Gen.Frequency((3, Names), (1, Gen.OneOf(8_192, 8_193).Select(n => (string?)new string('e', n))));
        Gen.Select(Names, Gen.Select(Optional, Optional), Gen.Select(Names, Names, Names), Gen.Select(Names, messages), Gen.Select(Names, Counts))
            .Sample((model, timing, a, failure, id) =>
            {
                var time = new RequestTiming { DurationMs = timing.Item1, TimeToFirstTokenMs = timing.Item2 };
                var attribution = new RequestAttribution { AgentId = a.Item1, Provider = a.Item2, ProviderId = a.Item3 };
                var f = new RequestFailure { ErrorCode = failure.Item1, ErrorMessage = failure.Item2 };
                var identity = new EventIdentity { EventId = id.Item1, TimestampMs = id.Item2 };
                var slow = RecordValidator.Failed(model, time, f) ?? RecordValidator.Attribution(attribution) ?? RecordValidator.Identity(identity);
                Assert.Equal(slow is null, RecordValidator.QuickFailed(model, time, attribution, f, identity));
            }, iter: 20_000);
    }

    /// <summary>One producer's calls: a model index and whether the call is valid (invalid ones must be rejected, never folded).</summary>
    private static readonly Gen<(int Model, bool Failed, bool Valid, int Input)[]> Plan =
        Gen.Select(Gen.Int[0, 2], Gen.Bool, Gen.Frequency((9, Gen.Const(true)), (1, Gen.Const(false))), Gen.Int[0, 1_000]).Array[0, 400];

    [Fact]
    public void Under_any_interleaving_of_records_drops_and_stats_reads_the_accounting_identities_hold()
    {
        string[] models = ["alpha-1", "beta-1", "unpriced-x"];
        Gen.Select(Plan.Array[1, 3], Gen.Int[16, 64], Gen.Int[1, 5]).Sample((plans, capacity, reads) =>
        {
            var (recorder, pump) = StartPump(capacity, shards: 2);
            try
            {
                long requests = 0, failed = 0, input = 0, rejected = 0;
                var problems = new System.Collections.Concurrent.ConcurrentQueue<string>();
                using var go = new Barrier(plans.Length + 1);
                var threads = plans.Select(plan => new Thread(() =>
                {
                    go.SignalAndWait();
                    foreach (var (model, isFailed, valid, tokens) in plan)
                    {
                        var name = valid ? models[model] : "";
                        var ok = isFailed
                            ? recorder.RecordFailed(name)
                            : recorder.RecordCompleted(name, new TokenUsage(tokens, 1));
                        if (!valid)
                        {
                            if (ok) problems.Enqueue("an invalid call was accepted");
                            Interlocked.Increment(ref rejected);
                        }
                        else if (ok)
                        {
                            Interlocked.Increment(ref requests);
                            if (isFailed) Interlocked.Increment(ref failed);
                            else Interlocked.Add(ref input, tokens);
                        }
                    }
                })).ToArray();
                foreach (var t in threads) t.Start();
                go.SignalAndWait();
                // Stats reads race the producers: each snapshot must be self-consistent.
                for (var i = 0; i < reads; i++) CheckIdentities(StatsAsync(pump).GetAwaiter().GetResult(), problems);
                foreach (var t in threads) t.Join();

                var final = StatsAsync(pump).GetAwaiter().GetResult();
                CheckIdentities(final, problems);
                Assert.Empty(problems);
                var calls = plans.Sum(p => (long)p.Length);
                Assert.Equal(calls, final.Ingress.Accepted + final.Ingress.Dropped + final.Ingress.Rejected);
                Assert.Equal(rejected, final.Ingress.Rejected);
                Assert.Equal(0, final.Ingress.Pending);
                Assert.Equal(requests, final.Totals.Requests);
                Assert.Equal(failed, final.Totals.Failed);
                Assert.Equal(input, final.Totals.InputTokens);
            }
            finally
            {
                Sys.Stop(pump);
            }
        }, iter: 25, threads: 1);
    }

    private static void CheckIdentities(UsageStats s, System.Collections.Concurrent.ConcurrentQueue<string> problems)
    {
        if (s.Ingress.Accepted != s.Ingress.Folded + s.Ingress.Pending) problems.Enqueue($"accepted {s.Ingress.Accepted} != folded {s.Ingress.Folded} + pending {s.Ingress.Pending}");
        if (s.Totals != Sum(s.ByModel.Values)) problems.Enqueue("totals != sum by model");
        if (s.Totals != Sum(s.ByProvider.Values)) problems.Enqueue("totals != sum by provider");
        if (s.Totals.Requests != s.Ingress.Folded) problems.Enqueue($"requests {s.Totals.Requests} != folded {s.Ingress.Folded}");
    }
}
