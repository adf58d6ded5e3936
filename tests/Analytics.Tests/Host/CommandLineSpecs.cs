using Analytics.Host;

namespace Analytics.Tests.Host;

public sealed class CommandLineSpecs
{
    [Fact]
    public void Replay_with_defaults()
    {
        var c = CommandLine.Parse(["replay", "log.jsonl"], out var error);
        Assert.Null(error);
        Assert.NotNull(c);
        Assert.Equal("log.jsonl", c.LogPath);
        Assert.Equal("table", c.Format);
        Assert.Empty(c.ConfigurationArgs);
    }

    [Theory]
    [InlineData("--format", "json")]
    [InlineData("--format=json", null)]
    public void Format_json_in_both_spellings(string first, string? second)
    {
        string[] args = second is null ? ["replay", "x.jsonl", first] : ["replay", first, second, "x.jsonl"];
        var c = CommandLine.Parse(args, out _);
        Assert.Equal("json", c!.Format);
        Assert.Equal("x.jsonl", c.LogPath);
    }

    [Fact]
    public void Serve_takes_its_urls_and_configuration_switches()
    {
        var c = CommandLine.Parse(["serve", "--urls", "http://0.0.0.0:8080;http://[::]:8080", "--Analytics:Ingest:MaxBodyBytes=2048"], out var error);
        Assert.Null(error);
        Assert.Equal("serve", c!.Command);
        Assert.Equal("http://0.0.0.0:8080;http://[::]:8080", c.Urls);
        Assert.Equal(["--Analytics:Ingest:MaxBodyBytes=2048"], c.ConfigurationArgs);
        Assert.Null(CommandLine.Parse(["serve"], out _)!.Urls);
    }

    [Fact]
    public void Configuration_switches_pass_through_to_the_configuration_system()
    {
        var c = CommandLine.Parse(["replay", "x.jsonl", "--Analytics:BufferCapacity=64", "--Analytics:DrainBatchSize", "8"], out _);
        Assert.Equal(["--Analytics:BufferCapacity=64", "--Analytics:DrainBatchSize", "8"], c!.ConfigurationArgs);
    }

    [Theory]
    [InlineData(new string[0], "no command given")]
    [InlineData(new[] { "report" }, "unknown command 'report' (expected: replay, stats, sync or serve)")]
    [InlineData(new[] { "replay", "a", "--urls", "http://127.0.0.1:1" }, "--urls is an option of serve only")]
    [InlineData(new[] { "serve", "--urls", " " }, "--urls needs at least one URL")]
    [InlineData(new[] { "serve", "--urls" }, "--urls needs a value")]
    [InlineData(new[] { "serve", "x.jsonl" }, "unexpected argument 'x.jsonl' (serve takes no file)")]
    [InlineData(new[] { "serve", "--since", "2026-01-01" }, "--since is an option of stats only")]
    [InlineData(new[] { "replay" }, "replay needs a usage log path")]
    [InlineData(new[] { "replay", "a", "b" }, "unexpected argument 'b'")]
    [InlineData(new[] { "replay", "a", "--format", "xml" }, "--format must be 'table' or 'json' (got 'xml')")]
    [InlineData(new[] { "replay", "a", "--format" }, "--format needs a value")]
    [InlineData(new[] { "replay", "a", "--verbose" }, "unknown option '--verbose'")]
    public void Bad_arguments_get_a_one_line_reason(string[] args, string expected)
    {
        Assert.Null(CommandLine.Parse(args, out var error));
        Assert.Contains(expected, error);
    }
}

public sealed class StoreCommandLineSpecs
{
    [Fact]
    public void Stats_takes_a_window_and_a_bucket_width()
    {
        var c = CommandLine.Parse(["stats", "--since", "2026-11-01", "--until=1793577600000", "--by", "day", "--format", "json"], out var error);
        Assert.Null(error);
        Assert.Equal(DateTimeOffset.Parse("2026-11-01T00:00:00Z"), c!.Since);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_793_577_600_000), c.Until);
        Assert.Equal(UsageBucketSize.Day, c.By);
        Assert.Equal("json", c.Format);
    }

    [Theory]
    [InlineData("2026-11-01T13:00:00Z", "2026-11-01T13:00:00+00:00")]
    [InlineData("2026-11-01T15:00:00+02:00", "2026-11-01T13:00:00+00:00")]
    [InlineData("2026-11-01T13:00", "2026-11-01T13:00:00+00:00")] // no offset: UTC
    [InlineData("2026-11-01T13:00:00.250Z", "2026-11-01T13:00:00.250+00:00")]
    [InlineData("0", "1970-01-01T00:00:00+00:00")]
    public void Times_are_ISO_8601_or_Unix_milliseconds(string text, string expected)
        => Assert.Equal(DateTimeOffset.Parse(expected), Analytics.Host.Stats.StatsWindowArguments.ParseTime(text));

    [Theory]
    [InlineData(new[] { "stats", "--since", "yesterday" }, "--since must be ISO 8601")]
    [InlineData(new[] { "stats", "--until", "2026-02-30" }, "--until must be ISO 8601")]
    [InlineData(new[] { "stats", "--since", "99999999999999999999" }, "--since must be ISO 8601")]
    [InlineData(new[] { "stats", "--by", "week" }, "--by must be 'hour' or 'day' (got 'week')")]
    [InlineData(new[] { "stats", "--since", "2026-11-02", "--until", "2026-11-01" }, "must be before --until")]
    [InlineData(new[] { "stats", "--since" }, "--since needs a value")]
    [InlineData(new[] { "stats", "usage.jsonl" }, "stats takes no file")]
    [InlineData(new[] { "replay", "x.jsonl", "--by", "day" }, "--by is an option of stats only")]
    [InlineData(new[] { "sync", "--since", "2026-11-01" }, "--since is an option of stats only")]
    public void Bad_stats_and_sync_arguments_get_a_one_line_reason(string[] args, string expected)
    {
        Assert.Null(CommandLine.Parse(args, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Sync_takes_only_the_common_options()
    {
        var c = CommandLine.Parse(["sync", "--format", "json", "--Analytics:Sync:Endpoint=http://x"], out var error);
        Assert.Null(error);
        Assert.Equal("sync", c!.Command);
        Assert.Equal(["--Analytics:Sync:Endpoint=http://x"], c.ConfigurationArgs);
    }
}
