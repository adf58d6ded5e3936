using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Tests.Ingress;

/// <summary>The shared multi-producer ring: exact capacity, order, and no loss or duplicate under racing producers.</summary>
public sealed class IngressShardSpecs
{
    private static IngressRecord Tagged(long tag) => new() { Kind = AnalyticsEventKind.LlmRequestCompleted, Model = "m", InputTokens = tag };

    private static int Read(IngressShard shard, CollectingSink sink, int max = int.MaxValue) => shard.Drain(ref sink, shard.TailSnapshot(), max, wait: false);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(1000)]
    public void Capacity_is_exact_and_a_full_shard_refuses_the_next_write(int capacity)
    {
        var shard = new IngressShard(capacity);
        for (var i = 0; i < capacity; i++) Assert.True(shard.TryWrite(Tagged(i)), $"write {i} of {capacity}");
        Assert.False(shard.TryWrite(Tagged(-1)));
        Assert.Equal(-1, shard.TryClaim());
        Assert.Equal(capacity, shard.Accepted);
        Assert.Equal(0, shard.Consumed);
    }

    [Fact]
    public void Reads_come_back_in_write_order_across_many_laps()
    {
        var shard = new IngressShard(7);
        var sink = new CollectingSink();
        long next = 0;
        // Uneven write/read bursts so the head and tail wrap at different points of the ring.
        for (var round = 0; round < 500; round++)
        {
            var writes = round % 7 + 1;
            for (var i = 0; i < writes && shard.TryWrite(Tagged(next)); i++) next++;
            Read(shard, sink, (round * 3) % 7 + 1);
        }
        Read(shard, sink);
        Assert.Equal(Enumerable.Range(0, (int)next).Select(i => (long)i), sink.Records.Select(r => r.InputTokens));
        Assert.Equal(next, shard.Accepted);
        Assert.Equal(next, shard.Consumed);
        Assert.True(next > 7 * 50, "the test must wrap the ring many times");
    }

    [Fact]
    public void A_claimed_slot_not_yet_published_stops_a_plain_read_and_is_waited_out_by_a_read_to_the_tail()
    {
        var shard = new IngressShard(4);
        Assert.True(shard.TryWrite(Tagged(1)));
        var claimed = shard.TryClaim();
        shard.Slot(claimed) = Tagged(2);
        var sink = new CollectingSink();

        Assert.Equal(1, Read(shard, sink));
        var publisher = new Thread(() => shard.Publish(claimed));
        var target = shard.TailSnapshot();
        publisher.Start();
        // Returns only once the other thread published: read-your-writes for a writer caught mid-write.
        Assert.Equal(1, shard.Drain(ref sink, target, int.MaxValue, wait: true));
        publisher.Join();
        Assert.Equal([1L, 2L], sink.Records.Select(r => r.InputTokens));
    }

    [Fact]
    public void Concurrent_producers_lose_nothing_and_duplicate_nothing()
    {
        const int producers = 4, perProducer = 200_000;
        var shard = new IngressShard(1024);
        var seen = new bool[producers * perProducer];
        long duplicates = 0;
        var consumed = 0;
        using var done = new CancellationTokenSource();
        var sink = new CollectingSink();
        var consumer = new Thread(() =>
        {
            while (true)
            {
                if (Read(shard, sink) > 0)
                {
                    // No asserts on this thread: an exception here would take the test host down.
                    foreach (var r in sink.Records)
                    {
                        if (seen[r.InputTokens]) duplicates++;
                        seen[r.InputTokens] = true;
                    }
                    consumed += sink.Records.Count;
                    sink.Records.Clear();
                }
                else if (done.IsCancellationRequested && shard.Consumed == shard.Accepted) break;
                else Thread.SpinWait(8);
            }
        });
        consumer.Start();
        var threads = new Thread[producers];
        for (var p = 0; p < producers; p++)
        {
            var id = p;
            threads[p] = new Thread(() =>
            {
                for (var i = 0; i < perProducer; i++)
                {
                    var tag = (long)id * perProducer + i;
                    while (!shard.TryWrite(Tagged(tag))) Thread.Yield(); // full: wait for the consumer
                }
            });
            threads[p].Start();
        }
        foreach (var t in threads) t.Join();
        done.Cancel();
        consumer.Join();

        Assert.Equal(0, duplicates);
        Assert.Equal(producers * perProducer, consumed);
        Assert.DoesNotContain(false, seen);
    }
}
