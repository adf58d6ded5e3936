using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Analytics.Actors.UsageLog;
using Analytics.Contracts;
using Microsoft.Extensions.Logging;

namespace Analytics.Actors.Sync;

/// <summary>
/// Appends every event sync could not deliver to a JSON Lines file, one object per event:
/// <c>{"event": {...body, ic_token "REDACTED"}, "status": 400, "response_body": "...", "reason": "...", "at": "..."}</c>.
/// Writers from concurrent deliveries are serialised so lines never interleave. The file is opened per write (append,
/// shared read), so an operator can move it away at any time; writes are rare, so this costs nothing that matters.
/// </summary>
/// <remarks>
/// Nothing that came from outside reaches the file unchecked: the response body and the reason are scrubbed of the
/// token in every form a server may echo it (<see cref="SecretScrubber"/>) and cut to <see cref="MaxResponseBodyChars"/>;
/// strings JSON cannot carry (unpaired surrogates) are written as U+FFFD. A line that cannot be written (disk full, file
/// removed, permissions changed) is counted in <see cref="FailedWrites"/>, which the sync counters report.
/// </remarks>
internal sealed class DeadLetterFile
{
    /// <summary>The longest response body kept in an entry, in characters.</summary>
    public const int MaxResponseBodyChars = 4_096;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly string? _secret;
    private long _written;
    private long _failed;
    private int _warnedWriteFailure;

    /// <summary>Creates the writer; nothing is touched on disk until the first entry.</summary>
    /// <param name="path">The file; relative paths are resolved against the current directory now.</param>
    /// <param name="time">Clock for the <c>at</c> field.</param>
    /// <param name="log">Where write failures are reported.</param>
    /// <param name="secret">The sync token, scrubbed from everything written; null when there is none.</param>
    public DeadLetterFile(string path, TimeProvider time, ILogger log, string? secret = null)
    {
        Path = System.IO.Path.GetFullPath(path);
        _time = time;
        _log = log;
        _secret = secret;
    }

    /// <summary>The absolute path of the file.</summary>
    public string Path { get; }

    /// <summary>Entries written so far.</summary>
    public long Written => Volatile.Read(ref _written);

    /// <summary>Entries that could not be written (their events stay counted as rejected or undelivered).</summary>
    public long FailedWrites => Volatile.Read(ref _failed);

    /// <summary>
    /// Checks at start that <paramref name="path"/> can take dead letters: not a directory, its folder exists or can be
    /// created, and one byte can be appended. Opening is not enough: <c>/dev/full</c> opens and then refuses every write.
    /// The byte is taken back (the file is cut to its old length, or removed when the check created it); a device cannot
    /// be cut, and holds nothing to restore.
    /// </summary>
    /// <returns>Null when writable, else why not (for the option error naming the key).</returns>
    public static string? CheckWritable(string path)
    {
        string full;
        try
        {
            full = System.IO.Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"is not a valid path ({e.Message.TrimEnd('.')}).";
        }
        if (Directory.Exists(full)) return $"must name a file, but '{full}' is a directory.";
        var existed = File.Exists(full);
        try
        {
            var directory = System.IO.Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
            using (var stream = new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            {
                var length = stream.CanSeek ? stream.Length : 0;
                stream.WriteByte((byte)'\n');
                stream.Flush();
                if (stream.CanSeek) TryCut(stream, length);
            }
            if (!existed) File.Delete(full);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return $"must name a file this process can write; '{full}' cannot be written ({e.Message.TrimEnd('.')}).";
        }
    }

    private static void TryCut(FileStream stream, long length)
    {
        try
        {
            stream.SetLength(length);
        }
        catch (IOException)
        {
            // A device (/dev/null) reports seekable but cannot be truncated; it kept nothing.
        }
    }

    /// <summary>Appends one entry. Never throws: a failed write is logged (once), counted, and the event stays counted.</summary>
    /// <param name="e">The event that was not delivered.</param>
    /// <param name="status">The last HTTP status, if any.</param>
    /// <param name="responseBody">The last response body, if any (scrubbed, cut to <see cref="MaxResponseBodyChars"/>).</param>
    /// <param name="reason">Why it was not delivered (scrubbed).</param>
    /// <returns>A task that completes when the line is written (or the write failed).</returns>
    public async Task AppendAsync(AnalyticsEvent e, int? status, string? responseBody, string reason)
    {
        byte[] line;
        try
        {
            line = Format(e, status, responseBody, reason, _time.GetUtcNow(), _secret);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // Only a value too large for JSON gets here (the recorder's length limits keep them out): count, never throw.
            Interlocked.Increment(ref _failed);
            _log.LogError("Could not format the dead letter of event {EventId} ({Reason}); it stays counted", e.EventId, ex.Message);
            return;
        }

        // Not cancellable on purpose: dead-lettering is exactly what runs when delivery was cancelled at shutdown.
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var directory = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
            await using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, useAsync: true);
            await stream.WriteAsync(line).ConfigureAwait(false);
            // Flushed inside the try: a full disk shows up here, not in a Dispose nobody observes.
            await stream.FlushAsync().ConfigureAwait(false);
            Interlocked.Increment(ref _written);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            Interlocked.Increment(ref _failed);
            if (Interlocked.Exchange(ref _warnedWriteFailure, 1) == 0)
                _log.LogError("Could not write the sync dead-letter file {DeadLetterPath} ({Reason}); undelivered events are still counted but not written",
                    Path, ex.Message);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>One line of the file, newline included, whatever the strings hold (unpaired surrogates, the token).</summary>
    internal static byte[] Format(AnalyticsEvent e, int? status, string? responseBody, string reason, DateTimeOffset at, string? secret = null)
    {
        byte[] body;
        try
        {
            body = Protocol012.SerializeForFile(e, Protocol012.RedactedToken);
        }
        catch (ArgumentException ex)
        {
            // Not an event the protocol can express at all: keep what identifies it, so the line still accounts for it.
            body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string?>
            {
                ["event_id"] = Text.WithoutUnpairedSurrogates(e.EventId ?? ""),
                ["event_type"] = e.Kind.ToString(),
                ["problem"] = Text.WithoutUnpairedSurrogates(ex.Message),
            });
        }

        var buffer = new ArrayBufferWriter<byte>(body.Length + 256);
        // Relaxed escaping keeps quotes in response bodies readable for the operator; the file is never served as HTML.
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WritePropertyName("event");
            w.WriteRawValue(body, skipInputValidation: true);
            if (status is { } s) w.WriteNumber("status", s);
            else w.WriteNull("status");
            if (responseBody is null) w.WriteNull("response_body");
            else w.WriteString("response_body", Clean(responseBody, secret, MaxResponseBodyChars));
            w.WriteString("reason", Clean(reason, secret, MaxResponseBodyChars));
            w.WriteString("at", at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Scrubbed first, cut second: a cut before scrubbing could leave a token's prefix behind.</summary>
    private static string Clean(string text, string? secret, int max)
    {
        var scrubbed = SecretScrubber.Scrub(text, secret);
        return Text.WithoutUnpairedSurrogates(scrubbed[..Text.CutAt(scrubbed, max)]);
    }
}
