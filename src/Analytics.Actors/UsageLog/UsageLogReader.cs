using System.Globalization;

namespace Analytics.Actors.UsageLog;

/// <summary>One line of a usage log as read: its bytes (without the line break), or the fact that it was too long.</summary>
/// <param name="Number">1-based line number.</param>
/// <param name="Bytes">The line's bytes; valid only until the next read. Empty when <paramref name="TooLong"/>.</param>
/// <param name="TooLong">The line passed <see cref="UsageLogParser.MaxLineBytes"/>: its bytes were discarded up to its end.</param>
internal readonly record struct UsageLogLine(long Number, ReadOnlyMemory<byte> Bytes, bool TooLong)
{
    /// <summary>True for a line holding only spaces and tabs (JSON Lines readers skip them).</summary>
    public bool IsBlank
    {
        get
        {
            if (TooLong) return false;
            foreach (var b in Bytes.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\v' or (byte)'\f')) return false;
            }
            return true;
        }
    }
}

/// <summary>The usage log is not UTF-8 (it starts with a UTF-16 or UTF-32 byte order mark).</summary>
internal sealed class UsageLogEncodingException(string message) : IOException(message);

/// <summary>
/// Splits a usage log into lines with bounded memory: a line break is LF, CR LF or CR, a UTF-8 byte order mark at the
/// start is skipped, and a line longer than <see cref="UsageLogParser.MaxLineBytes"/> is reported as
/// <see cref="UsageLogLine.TooLong"/> as soon as it passes the limit, then discarded up to its end, so a line that never
/// ends (<c>/dev/zero</c>) costs at most the limit in memory. Reads are cancellable even where the stream is not
/// (a FIFO with no writer): a cancelled read is abandoned, and the reader must not be used afterwards.
/// </summary>
internal sealed class UsageLogReader : IDisposable
{
    private const int Chunk = 64 * 1024;

    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer = new byte[Chunk];
    private int _start, _end, _scanned;
    private long _number;
    private bool _eof, _first = true, _discarding, _skipLf;

    /// <summary>Reads lines from <paramref name="stream"/>, which the reader owns.</summary>
    public UsageLogReader(Stream stream, int maxLineBytes = UsageLogParser.MaxLineBytes)
    {
        _stream = stream;
        _maxLineBytes = maxLineBytes;
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading. Opening a FIFO waits for a writer, so the open runs off the caller's
    /// thread and is abandoned when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public static async Task<UsageLogReader> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var stream = await Task.Run(() => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan),
            CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);
        return new UsageLogReader(stream);
    }

    /// <summary>The next line, or null at the end of the stream.</summary>
    /// <exception cref="UsageLogEncodingException">The log starts with a UTF-16 or UTF-32 byte order mark.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; the reader is unusable.</exception>
    public async ValueTask<UsageLogLine?> ReadLineAsync(CancellationToken cancellationToken)
    {
        // A byte order mark takes up to 4 bytes and a FIFO may deliver fewer at first: decide before scanning anything.
        while (_first)
        {
            if (_end >= 4 || _eof)
            {
                _first = false;
                SkipByteOrderMark();
                break;
            }
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            // Look for a line break in what is buffered but not yet scanned.
            for (var i = _scanned; i < _end; i++)
            {
                var b = _buffer[i];
                if (_skipLf)
                {
                    _skipLf = false;
                    if (b == (byte)'\n')
                    {
                        _start = i + 1;
                        continue;
                    }
                }
                if (b is not ((byte)'\n' or (byte)'\r')) continue;
                _skipLf = b == (byte)'\r';
                var lineStart = _start;
                _start = _scanned = i + 1;
                if (_discarding)
                {
                    _discarding = false; // the end of the too-long line: it was reported when it passed the limit
                    continue;
                }
                _number++;
                return new UsageLogLine(_number, _buffer.AsMemory(lineStart, i - lineStart), false);
            }
            _scanned = _end;

            if (_discarding)
            {
                _start = _scanned = _end = 0;
            }
            else if (_end - _start > _maxLineBytes)
            {
                _discarding = true;
                _start = _scanned = _end = 0;
                _number++;
                return new UsageLogLine(_number, ReadOnlyMemory<byte>.Empty, true);
            }

            if (_eof)
            {
                if (_start == _end || _discarding) return null;
                var lineStart = _start;
                _start = _scanned = _end;
                _number++;
                return new UsageLogLine(_number, _buffer.AsMemory(lineStart, _end - lineStart), false);
            }
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            // Keep only the unfinished line, at the front.
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _scanned -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            // Grow by doubling, but never past the limit plus one chunk: that is the whole memory a line can cost.
            var size = (int)Math.Min((long)_buffer.Length * 2, (long)_maxLineBytes + Chunk);
            Array.Resize(ref _buffer, size);
        }

        // ReadAsync on a pipe or FIFO may not observe the token once started: WaitAsync abandons it instead.
        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            _eof = true;
            return;
        }
        _end += read;
    }

    private void SkipByteOrderMark()
    {
        var head = _buffer.AsSpan(0, _end);
        if (head.StartsWith("\uFEFF"u8))
        {
            _start = _scanned = 3;
            return;
        }
        var encoding = head switch
        {
            [0xFF, 0xFE, 0x00, 0x00, ..] => "UTF-32 (little-endian)",
            [0x00, 0x00, 0xFE, 0xFF, ..] => "UTF-32 (big-endian)",
            [0xFF, 0xFE, ..] => "UTF-16 (little-endian)",
            [0xFE, 0xFF, ..] => "UTF-16 (big-endian)",
            _ => null,
        };
        if (encoding is not null)
        {
            throw new UsageLogEncodingException(string.Create(CultureInfo.InvariantCulture,
                $"it is {encoding} text (it starts with a byte order mark); a usage log must be UTF-8: convert it, for example with iconv -t UTF-8"));
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
