using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Tests.Ingress;

public sealed class IngressBufferSpecs
{
    [Theory]
    [InlineData(10_000, 0)]
    [InlineData(10_000, 4)]
    [InlineData(17, 8)]
    [InlineData(3, 8)]
    public void Total_capacity_is_exactly_what_was_asked(int capacity, int shards)
    {
        var buffer = new IngressBuffer(capacity, shards);
        var sum = 0;
        foreach (var s in buffer.Shards) sum += s.Capacity;
        Assert.Equal(capacity, sum);
        Assert.Equal(capacity, buffer.Capacity);
    }

    [Fact]
    public void One_thread_can_fill_every_shard_before_anything_is_dropped()
    {
        var buffer = new IngressBuffer(100, shards: 4);
        var record = new IngressRecord { Kind = AnalyticsEventKind.LlmRequestFailed, Model = "m" };
        var accepted = 0;
        for (var i = 0; i < 150; i++)
        {
            if (buffer.WriteOrDrop(record)) accepted++;
        }
        Assert.Equal(100, accepted);
        Assert.Equal(100, buffer.Accepted);
        Assert.Equal(50, buffer.Dropped);
        Assert.Equal(100, buffer.Pending);
    }

    [Fact]
    public void Try_write_on_a_full_buffer_counts_no_drop()
    {
        var buffer = new IngressBuffer(16, shards: 2);
        var record = new IngressRecord { Model = "m" };
        for (var i = 0; i < 16; i++) Assert.True(buffer.TryWrite(record));
        Assert.False(buffer.TryWrite(record));
        Assert.Equal(0, buffer.Dropped);
    }

    [Fact]
    public void With_a_tiny_ring_and_racing_threads_accepted_plus_dropped_equals_attempted()
    {
        const int producers = 4, perProducer = 100_000;
        var buffer = new IngressBuffer(64, shards: 2);
        var record = new IngressRecord { Kind = AnalyticsEventKind.LlmRequestCompleted, Model = "m", InputTokens = 1 };
        long drained = 0;
        var stop = 0;
        var consumer = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0 || buffer.Pending > 0)
            {
                foreach (var shard in buffer.Shards)
                {
                    while (shard.TryRead(out _)) drained++;
                }
            }
        });
        consumer.Start();
        var threads = new Thread[producers];
        for (var p = 0; p < producers; p++)
        {
            threads[p] = new Thread(() =>
            {
                for (var i = 0; i < perProducer; i++) buffer.WriteOrDrop(record);
            });
            threads[p].Start();
        }
        foreach (var t in threads) t.Join();
        Volatile.Write(ref stop, 1);
        consumer.Join();

        Assert.Equal(producers * perProducer, buffer.Accepted + buffer.Dropped);
        Assert.Equal(buffer.Accepted, drained);
    }
}
