using System.Globalization;
using System.Text.Json;
using Analytics.Actors.UsageLog;

namespace Analytics.AspNetCore.Ingest;

/// <summary>The two body formats of <c>POST /v1/events</c>.</summary>
internal enum IngestFormat
{
    /// <summary>JSON Lines (<c>application/x-ndjson</c>): one usage-log line per event.</summary>
    JsonLines,

    /// <summary>A JSON array of usage-log objects (<c>application/json</c>).</summary>
    JsonArray,
}

/// <summary>A refused event: its 1-based line (JSON Lines) or array index + 1, and why.</summary>
internal readonly record struct IngestRejection(long Line, string Reason);

/// <summary>
/// Splits a request body into usage-log entries and rejections. Every event goes through the same
/// <see cref="UsageLogParser"/> as a replayed line: a JSON Lines body through the same <see cref="UsageLogReader"/>
/// (LF, CR LF or CR, a UTF-8 byte order mark skipped, blank lines skipped but counted), and each element of a JSON array
/// as the exact bytes a line would hold, so an element is accepted or refused with the same reason as that line.
/// </summary>
internal static class IngestBody
{
    /// <summary>Rejections listed in a response; past this many they are only counted.</summary>
    public const int MaxListedRejections = 1_000;

    /// <summary>The parsed body.</summary>
    /// <param name="Entries">The valid events, in body order.</param>
    /// <param name="Lines">The line (or array index + 1) of each entry.</param>
    /// <param name="Rejections">The first <see cref="MaxListedRejections"/> refused events.</param>
    /// <param name="RejectedCount">Every refused event.</param>
    /// <param name="BodyError">The body as a whole is unreadable (not UTF-8, a broken array): nothing in it counts.</param>
    public sealed record Parsed(List<UsageLogEntry> Entries, List<long> Lines, List<IngestRejection> Rejections, long RejectedCount, string? BodyError);

    public static async Task<Parsed> ParseAsync(ReadOnlyMemory<byte> body, IngestFormat format, CancellationToken cancellationToken)
        => format == IngestFormat.JsonLines ? await LinesAsync(body, cancellationToken).ConfigureAwait(false) : Array(body.Span);

    private static async Task<Parsed> LinesAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var entries = new List<UsageLogEntry>();
        var lines = new List<long>();
        var rejections = new Collector();
        using var reader = new UsageLogReader(new ReadOnlyMemoryStream(body));
        try
        {
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.TooLong)
                {
                    rejections.Add(line.Number, string.Create(CultureInfo.InvariantCulture, $"the line is longer than {UsageLogParser.MaxLineBytes} bytes"));
                    continue;
                }
                if (line.IsBlank) continue;
                if (UsageLogParser.Parse(line.Bytes.Span, out var error) is { } entry)
                {
                    entries.Add(entry);
                    lines.Add(line.Number);
                }
                else rejections.Add(line.Number, error!);
            }
        }
        catch (UsageLogEncodingException e)
        {
            return new Parsed([], [], [], 0, e.Message);
        }
        return new Parsed(entries, lines, rejections.Listed, rejections.Count, null);
    }

    private static Parsed Array(ReadOnlySpan<byte> body)
    {
        // The same byte order mark rule as a log: UTF-8's is skipped.
        if (body.StartsWith("\uFEFF"u8)) body = body[3..];
        if (body.Trim(" \t\r\n"u8).IsEmpty) return new Parsed([], [], [], 0, null); // an empty body holds no event
        var entries = new List<UsageLogEntry>();
        var lines = new List<long>();
        var rejections = new Collector();
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        long index = 0;
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartArray)
                return new Parsed([], [], [], 0, $"an application/json body must be a JSON array of events (found {Describe(reader.TokenType)} at byte 1)");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                index++;
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                var end = (int)reader.BytesConsumed;
                // The element's own bytes, exactly what a log line holding it would be.
                if (UsageLogParser.Parse(body[start..end], out var error) is { } entry)
                {
                    entries.Add(entry);
                    lines.Add(index);
                }
                else rejections.Add(index, error!);
            }
            if (reader.TokenType != JsonTokenType.EndArray) throw new JsonException("the array is not closed");
            // Anything but white space after the array is a malformed body too.
            if (reader.Read()) throw new JsonException($"unexpected {Describe(reader.TokenType)} after the array");
        }
        catch (JsonException e)
        {
            return new Parsed([], [], [], 0, string.Create(CultureInfo.InvariantCulture,
                $"the JSON array is malformed near element {Math.Max(index, 1)} (byte {reader.BytesConsumed + 1}): {FirstSentence(e.Message)}; nothing in this body was recorded"));
        }
        return new Parsed(entries, lines, rejections.Listed, rejections.Count, null);
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static string FirstSentence(string message)
    {
        var dot = message.IndexOf(". ", StringComparison.Ordinal);
        return dot < 0 ? message.TrimEnd('.') : message[..dot];
    }

    private sealed class Collector
    {
        public List<IngestRejection> Listed { get; } = [];

        public long Count { get; private set; }

        public void Add(long line, string reason)
        {
            Count++;
            if (Listed.Count < MaxListedRejections) Listed.Add(new IngestRejection(line, reason));
        }
    }

    /// <summary>A read-only stream over memory the body was already read into (no copy).</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => memory.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
