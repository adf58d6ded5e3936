using System.Net.Sockets;
using System.Text;

namespace Analytics.Tests.Service;

/// <summary>
/// A body over <c>Analytics:Ingest:MaxBodyBytes</c> is refused with 413 without being read to its end: over a raw socket,
/// the client keeps sending (a declared length or chunks) while it reads, and stops when the answer comes. A server that
/// read the whole body would answer only after all of it.
/// </summary>
public sealed class BodyLimitSpecs
{
    private const int Limit = 64 * 1024;
    private const long Endless = 512L * 1024 * 1024;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_over_the_limit_is_refused_with_413_before_it_is_sent_whole(bool chunked)
    {
        await using var service = await ServiceHarness.StartAsync(new Dictionary<string, string?> { ["Analytics:Ingest:MaxBodyBytes"] = Limit.ToString() });
        var uri = new Uri(service.BaseUrl);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(uri.Host, uri.Port);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var head = $"POST /v1/events HTTP/1.1\r\nHost: {uri.Authority}\r\nContent-Type: application/x-ndjson\r\n" +
                   (chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {Endless}\r\n") + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));

        var reading = ReadStatusLineAsync(stream);
        var line = Encoding.ASCII.GetBytes(ServiceHarness.Line("big", 1) + "\n");
        var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(Encoding.ASCII.GetString(line), 64 * 1024 / line.Length)));
        long sent = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (!reading.IsCompleted && sent < Endless)
            {
                if (chunked) await stream.WriteAsync(Encoding.ASCII.GetBytes($"{chunk.Length:X}\r\n"), timeout.Token);
                await stream.WriteAsync(chunk, timeout.Token);
                if (chunked) await stream.WriteAsync("\r\n"u8.ToArray(), timeout.Token);
                sent += chunk.Length;
            }
        }
        catch (IOException)
        {
            // The server closed the connection after its answer: what the spec expects.
        }
        var status = await reading.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("HTTP/1.1 413", status);
        // Socket buffers on both sides hold a few MB at most; the body was 512 MB.
        Assert.True(sent < 64L * 1024 * 1024, $"{sent} bytes were sent before the answer");
        Assert.Equal(0, (await service.StatsAsync()).GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(1, (await service.StatsAsync()).GetProperty("ingest").GetProperty("refused_413").GetInt64());
    }

    [Fact]
    public async Task A_body_at_the_limit_is_read()
    {
        await using var service = await ServiceHarness.StartAsync(new Dictionary<string, string?> { ["Analytics:Ingest:MaxBodyBytes"] = Limit.ToString() });
        var lines = new List<string>();
        var size = 0;
        for (var i = 0; ; i++)
        {
            var line = ServiceHarness.Line($"fit-{i:D6}", 1);
            if (size + line.Length + 1 > Limit) break;
            lines.Add(line);
            size += line.Length + 1;
        }
        using var response = await service.PostLinesAsync(lines);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(lines.Count, (await ServiceHarness.JsonAsync(response)).GetProperty("accepted").GetInt64());
        using var over = await service.PostLinesAsync([.. lines, ServiceHarness.Line("one-more", 1)]);
        Assert.Equal(System.Net.HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
    }

    private static async Task<string> ReadStatusLineAsync(Stream stream)
    {
        var buffer = new byte[1];
        var text = new StringBuilder();
        while (await stream.ReadAsync(buffer) == 1)
        {
            if (buffer[0] == '\n') break;
            text.Append((char)buffer[0]);
        }
        return text.ToString().TrimEnd('\r');
    }
}
