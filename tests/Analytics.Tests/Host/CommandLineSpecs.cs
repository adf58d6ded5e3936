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
    public void Configuration_switches_pass_through_to_the_configuration_system()
    {
        var c = CommandLine.Parse(["replay", "x.jsonl", "--Analytics:BufferCapacity=64", "--Analytics:DrainBatchSize", "8"], out _);
        Assert.Equal(["--Analytics:BufferCapacity=64", "--Analytics:DrainBatchSize", "8"], c!.ConfigurationArgs);
    }

    [Theory]
    [InlineData(new string[0], "no command given")]
    [InlineData(new[] { "report" }, "unknown command 'report'")]
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
