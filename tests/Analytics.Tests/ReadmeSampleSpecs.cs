using System.Text.RegularExpressions;

namespace Analytics.Tests;

/// <summary>
/// README code that claims to compile does: every C# block preceded by <c>&lt;!-- compiled: PATH --&gt;</c> must appear,
/// line for line, in that file, which the solution builds.
/// </summary>
public sealed partial class ReadmeSampleSpecs
{
    [Fact]
    public void Every_marked_README_block_is_in_the_file_the_build_compiles()
    {
        var root = RepositorySpecs.RepositoryRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        var blocks = MarkedBlock().Matches(readme);

        Assert.NotEmpty(blocks);
        foreach (Match block in blocks)
        {
            var path = block.Groups["path"].Value;
            var file = Lines(File.ReadAllText(Path.Combine(root, path)));
            var shown = Lines(block.Groups["code"].Value);
            Assert.True(Contains(file, shown), $"The README block marked '{path}' differs from that file: copy one into the other.");
        }
    }

    [Theory]
    [InlineData("a\nb\nc", "b\nc", true)]
    [InlineData("a\nb\nc", "a\nc", false)]
    [InlineData("a\n  b\n\nc", "b\nc", true)]
    public void The_comparison_wants_the_block_s_lines_in_order_and_together(string file, string block, bool expected)
        => Assert.Equal(expected, Contains(Lines(file), Lines(block)));

    private static List<string> Lines(string text)
        => text.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();

    private static bool Contains(List<string> file, List<string> block)
    {
        for (var start = 0; start + block.Count <= file.Count; start++)
        {
            if (file.Skip(start).Take(block.Count).SequenceEqual(block)) return true;
        }
        return false;
    }

    [GeneratedRegex(@"<!-- compiled: (?<path>[^ ]+) -->\n```csharp\n(?<code>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex MarkedBlock();
}
