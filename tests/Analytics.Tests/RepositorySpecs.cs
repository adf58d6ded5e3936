using System.Text;

namespace Analytics.Tests;

/// <summary>The repository stands on its own: a user's clone has nothing beside it, so nothing may point outside.</summary>
public sealed class RepositorySpecs
{
    // Built from parts so this file does not match its own patterns.
    private static readonly string[] OutsideReferences =
    [
        string.Join('/', "..", "shared"),
        string.Join('\\', "..", "shared"),
        string.Join('/', "shared", "reference"),
        string.Join('\\', "shared", "reference"),
    ];

    private static readonly string[] CheckedFolders = ["tests", "src", "docs", "config", "samples", ".ci"];

    private static readonly string[] CheckedFiles = ["README.md", "Analytics.sln", "Directory.Build.props", "Directory.Packages.props"];

    [Fact]
    public void Nothing_in_the_repository_refers_to_the_shared_folder_beside_it()
    {
        var root = RepositoryRoot();
        var files = new List<string>();
        foreach (var folder in CheckedFolders)
        {
            var path = Path.Combine(root, folder);
            if (Directory.Exists(path)) CollectFiles(path, files);
        }
        foreach (var file in CheckedFiles)
        {
            var path = Path.Combine(root, file);
            if (File.Exists(path)) files.Add(path);
        }
        // The walk must have found the repository's own files, or an empty pass would prove nothing.
        Assert.Contains(files, f => f.EndsWith(nameof(RepositorySpecs) + ".cs", StringComparison.Ordinal));
        Assert.Contains(files, f => Path.GetFileName(f) == "README.md");

        var found = new StringBuilder();
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (RefersOutside(lines[i])) found.AppendLine($"{Path.GetRelativePath(root, file)}:{i + 1}: {lines[i].Trim()}");
            }
        }
        Assert.True(found.Length == 0, "These lines refer to a folder outside the repository, which a clone does not have:\n" + found);
    }

    // '|' stands for the separator, so these samples do not trip the repository check themselves.
    [Theory]
    [InlineData("see ..|shared|ARCHITECTURE.md", '/', true)]
    [InlineData(@"Path.Combine(dir, ""..|shared|reference"", name)", '\\', true)]
    [InlineData("reads shared|reference|prices.json", '/', true)]
    [InlineData("a copy, so a caller's tweaks never reach a shared instance", '/', false)]
    [InlineData("the shared|hooks of this project", '/', false)]
    public void The_patterns_catch_a_reference_outside_and_nothing_else(string template, char separator, bool outside)
    {
        var line = template.Replace('|', separator);
        // The spec above passes on a clean repository; this one shows it would fail on a dirty one.
        Assert.Equal(outside, RefersOutside(line));
    }

    private static bool RefersOutside(string line)
    {
        foreach (var pattern in OutsideReferences)
        {
            if (line.Contains(pattern, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>The folder holding Analytics.sln, above the test binaries.</summary>
    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Analytics.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"no Analytics.sln above {AppContext.BaseDirectory}");
    }

    private static void CollectFiles(string folder, List<string> files)
    {
        foreach (var file in Directory.EnumerateFiles(folder)) files.Add(file);
        foreach (var sub in Directory.EnumerateDirectories(folder))
        {
            var name = Path.GetFileName(sub);
            // Build output, benchmark results and test results are generated, not part of the repository.
            if (name is "bin" or "obj" or "BenchmarkDotNet.Artifacts" or "TestResults" or ".vs") continue;
            CollectFiles(sub, files);
        }
    }
}
