using System.Text;

namespace Analytics.Tests.Hardening;

/// <summary>
/// The usage-log line reader (issue 9, item 7): line breaks and byte order marks as before, and a line that never ends
/// costs bounded memory instead of all of it.
/// </summary>
public sealed class UsageLogReaderSpecs
{
    private static async Task<List<UsageLogLine>> ReadAll(Stream stream, int maxLineBytes = UsageLogParser.MaxLineBytes)
    {
        using var reader = new UsageLogReader(stream, maxLineBytes);
        var lines = new List<UsageLogLine>();
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
            lines.Add(line with { Bytes = line.Bytes.ToArray() }); // the reader reuses its buffer
        return lines;
    }

    private static string Text(UsageLogLine line) => Encoding.UTF8.GetString(line.Bytes.Span);

    [Fact]
    public async Task LF_CRLF_and_CR_end_lines_and_a_utf8_byte_order_mark_is_skipped()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("a\nb\r\nc\rd\r\n\r\ne")).ToArray();

        var lines = await ReadAll(new MemoryStream(bytes));

        Assert.Equal(["a", "b", "c", "d", "", "e"], lines.Select(Text));
        Assert.Equal([1L, 2, 3, 4, 5, 6], lines.Select(l => l.Number));
    }

    [Fact]
    public async Task A_crlf_split_across_two_reads_is_one_line_break()
    {
        var lines = await ReadAll(new TrickleStream(Encoding.UTF8.GetBytes("a\r\nb\r\n"), chunk: 2));
        Assert.Equal(["a", "b"], lines.Select(Text));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, (byte)'{', 0 }, "UTF-16 (little-endian)")]
    [InlineData(new byte[] { 0xFE, 0xFF, 0, (byte)'{' }, "UTF-16 (big-endian)")]
    public async Task A_utf16_log_is_a_clear_error_not_a_line_of_garbage_per_line(byte[] head, string encoding)
    {
        var e = await Assert.ThrowsAsync<UsageLogEncodingException>(() => ReadAll(new MemoryStream(head)));
        Assert.Contains($"it is {encoding} text", e.Message);
    }

    [Fact]
    public async Task A_line_over_the_limit_is_reported_once_as_too_long_and_the_next_line_still_reads()
    {
        var bytes = Encoding.UTF8.GetBytes(new string('x', 100) + "\nok\n" + new string('y', 40) + "\nlast");

        var lines = await ReadAll(new TrickleStream(bytes, chunk: 7), maxLineBytes: 50);

        Assert.Equal([(1L, true, ""), (2L, false, "ok"), (3L, false, new string('y', 40)), (4L, false, "last")],
            lines.Select(l => (l.Number, l.TooLong, Text(l))));
    }

    [Fact]
    public async Task A_line_that_never_ends_is_cut_at_the_limit_with_bounded_memory()
    {
        // 64 MiB of zeros with no line break (as /dev/zero), then a good line.
        var endless = new ZeroStream(64L * 1024 * 1024, Encoding.UTF8.GetBytes("\n{\"tail\":1}"));
        var before = GC.GetAllocatedBytesForCurrentThread();

        var lines = await ReadAll(endless);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal([(1L, true), (2L, false)], lines.Select(l => (l.Number, l.TooLong)));
        Assert.Equal("{\"tail\":1}", Text(lines[1]));
        // The line limit (1 MiB) plus a read chunk, and a little for the buffer's doublings: not the 64 MiB line, nor
        // the 128 MiB of UTF-16 a string of it would take (the reader before this issue took all of it).
        Assert.True(allocated < 4L * 1024 * 1024, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public async Task A_read_that_blocks_is_abandoned_when_cancelled()
    {
        using var blocked = new BlockingStream();
        using var reader = new UsageLogReader(blocked);
        using var cancel = new CancellationTokenSource();

        var read = reader.ReadLineAsync(cancel.Token).AsTask();
        await blocked.ReadStarted.Task;
        Assert.False(read.IsCompleted);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
    }

    /// <summary>Hands out its bytes a few at a time, as a pipe does.</summary>
    private sealed class TrickleStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }

    /// <summary><paramref name="zeros"/> zero bytes, then <paramref name="tail"/>, generated as read (nothing held).</summary>
    private sealed class ZeroStream(long zeros, byte[] tail) : Stream
    {
        private long _position;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position < zeros)
            {
                var n = (int)Math.Min(buffer.Length, zeros - _position);
                buffer[..n].Clear();
                _position += n;
                return n;
            }
            var at = (int)(_position - zeros);
            var m = Math.Min(buffer.Length, tail.Length - at);
            tail.AsSpan(at, m).CopyTo(buffer);
            _position += m;
            return m;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A read that never completes and ignores its token, as a FIFO read with no writer.</summary>
    private sealed class BlockingStream : Stream
    {
        public TaskCompletionSource ReadStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ReadStarted.TrySetResult();
            return new ValueTask<int>(new TaskCompletionSource<int>().Task);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
