using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Tests.Ingress;

public sealed class IngressBufferSpecs
{
    private static readonly IngressRecord Record = new() { Kind = AnalyticsEventKind.LlmRequestCompleted, Model = "m", InputTokens = 1 };

    private static long DrainAll(IngressBuffer buffer)
    {
        var sink = new CollectingSink();
        long drained = 0;
        foreach (var shard in buffer.Shards) drained += shard.Drain(ref sink, shard.TailSnapshot(), int.MaxValue, wait: false);
        return drained;
    }

    [Theory]
    [InlineData(10_000, 0)]
    [InlineData(10_000, 4)]
    [InlineData(17, 8)]
    [InlineData(3, 8)]
    public void Total_capacity_is_exactly_what_was_asked(int capacity, int shards)
    {
        var buffer = new IngressBuffer(capacity, shards);
        Assert.Equal(capacity, buffer.Shards.Sum(s => s.Capacity));
        Assert.Equal(capacity, buffer.Capacity);
    }

    [Fact]
    public void One_thread_can_fill_every_shard_before_anything_is_dropped()
    {
        var buffer = new IngressBuffer(100, shards: 4);
        var accepted = 0;
        for (var i = 0; i < 150; i++)
        {
            if (buffer.WriteOrDrop(Record)) accepted++;
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
        for (var i = 0; i < 16; i++) Assert.True(buffer.TryWrite(Record));
        Assert.False(buffer.TryWrite(Record));
        Assert.Null(buffer.TryClaim(out var index));
        Assert.Equal(-1, index);
        Assert.Equal(0, buffer.Dropped);
    }

    [Fact]
    public void The_wake_mark_is_reached_by_the_events_waiting_in_a_shard()
    {
        var buffer = new IngressBuffer(400, shards: 4); // shards of 100
        buffer.SetWakeMark(30);
        var home = buffer.Shards[buffer.HomeShardIndex];
        for (var i = 0; i < 29; i++) buffer.TryWrite(Record);
        Assert.False(home.IsFilling());
        Assert.False(buffer.AnyFilling());
        buffer.TryWrite(Record);
        Assert.True(home.IsFilling());
        Assert.True(buffer.AnyFilling());
        Assert.Equal(30, DrainAll(buffer));
        Assert.False(buffer.AnyFilling());
    }

    [Fact]
    public void With_a_tiny_ring_and_racing_threads_accepted_plus_dropped_equals_attempted_and_everything_accepted_is_read()
    {
        const int producers = 4, perProducer = 100_000;
        var buffer = new IngressBuffer(64, shards: 2);
        long drained = 0;
        var stop = 0;
        var consumer = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0 || buffer.Pending > 0) drained += DrainAll(buffer);
        });
        consumer.Start();
        var threads = new Thread[producers];
        for (var p = 0; p < producers; p++)
        {
            threads[p] = new Thread(() =>
            {
                for (var i = 0; i < perProducer; i++) buffer.WriteOrDrop(Record);
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
