using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Analytics.Contracts;
using Microsoft.Extensions.Logging;

namespace Analytics.Actors.Sync;

/// <summary>
/// Appends every event sync could not deliver to a JSON Lines file, one object per event:
/// <c>{"event": {...body, ic_token "REDACTED"}, "status": 400, "response_body": "...", "reason": "...", "at": "..."}</c>.
/// Writers from concurrent deliveries are serialised so lines never interleave. The file is opened per write (append,
/// shared read), so an operator can move it away at any time; writes are rare, so this costs nothing that matters.
/// </summary>
internal sealed class DeadLetterFile
{
    private const int MaxResponseBodyChars = 4_096;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private long _written;
    private int _warnedWriteFailure;

    /// <summary>Creates the writer; nothing is touched on disk until the first entry.</summary>
    /// <param name="path">The file; relative paths are resolved against the current directory now.</param>
    /// <param name="time">Clock for the <c>at</c> field.</param>
    /// <param name="log">Where write failures are reported.</param>
    public DeadLetterFile(string path, TimeProvider time, ILogger log)
    {
        Path = System.IO.Path.GetFullPath(path);
        _time = time;
        _log = log;
    }

    /// <summary>The absolute path of the file.</summary>
    public string Path { get; }

    /// <summary>Entries written so far.</summary>
    public long Written => Volatile.Read(ref _written);

    /// <summary>Appends one entry. Never throws: a failed write is logged (once) and the event stays counted.</summary>
    /// <param name="e">The event that was not delivered.</param>
    /// <param name="status">The last HTTP status, if any.</param>
    /// <param name="responseBody">The last response body, if any (cut to 4,096 characters).</param>
    /// <param name="reason">Why it was not delivered.</param>
    /// <returns>A task that completes when the line is written (or the write failed).</returns>
    public async Task AppendAsync(AnalyticsEvent e, int? status, string? responseBody, string reason)
    {
        byte[] line;
        try
        {
            line = Format(e, status, responseBody, reason, _time.GetUtcNow());
        }
        catch (ArgumentException ex)
        {
            _log.LogError("Could not dead-letter event {EventId}: {Problem}", e.EventId, ex.Message);
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
            Interlocked.Increment(ref _written);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (Interlocked.Exchange(ref _warnedWriteFailure, 1) == 0)
                _log.LogError(ex, "Could not write the sync dead-letter file {DeadLetterPath}; undelivered events are still counted but not written", Path);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>One line of the file, newline included.</summary>
    internal static byte[] Format(AnalyticsEvent e, int? status, string? responseBody, string reason, DateTimeOffset at)
    {
        var body = Protocol012.Serialize(e, Protocol012.RedactedToken);
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
            else w.WriteString("response_body", responseBody.Length > MaxResponseBodyChars ? responseBody[..MaxResponseBodyChars] : responseBody);
            w.WriteString("reason", reason);
            w.WriteString("at", at.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
