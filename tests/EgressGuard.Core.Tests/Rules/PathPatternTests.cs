using EgressGuard.Rules;

namespace EgressGuard.Tests.Rules;

public class PathPatternTests
{
    [Theory]
    [InlineData("/upload/*", "/upload/a.zip", true)]
    [InlineData("/upload/*", "/upload/deep/er/x", true)]
    [InlineData("/upload/*", "/UPLOAD/x", true)]
    [InlineData("/upload/*", "/upload", false)]
    [InlineData("/upload/*", "/uploads/x", false)]
    [InlineData("/upload/*", "/x/upload/y", false)]
    [InlineData("*/upload/*", "/x/upload/y", false)] // a pattern starts with '/': rejected at parse, see below
    [InlineData("/*/upload/*", "/x/upload/y", true)]
    [InlineData("/api/v1/export", "/api/v1/export", true)]
    [InlineData("/api/v1/export", "/api/v1/export/", false)]
    [InlineData("/*.exe", "/files/setup.exe", true)]
    [InlineData("/*.exe", "/files/setup.exe.txt", false)]
    [InlineData("/a*b*c", "/aXXbYYbZZc", true)]
    public void Matches_Glob_CaseInsensitive(string pattern, string path, bool expected)
    {
        if (!PathPattern.TryParse(pattern, out var parsed, out _))
        {
            Assert.False(expected);
            return;
        }

        Assert.Equal(expected, parsed.Matches(path));
    }

    [Theory]
    [InlineData("upload/*")]
    [InlineData("")]
    [InlineData("/a b")]
    [InlineData("/a?x=1")]
    [InlineData("/a#frag")]
    public void TryParse_NotAPath_Error(string text)
    {
        Assert.False(PathPattern.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Matches_ManyStars_StaysFast()
    {
        Assert.True(PathPattern.TryParse("/" + string.Concat(Enumerable.Repeat("*a", 30)) + "b", out var pattern, out _));
        Assert.False(pattern.Matches("/" + new string('a', 4000)));
    }
}

public class RequestPathTests
{
    [Theory]
    [InlineData("/upload/a", "/upload/a")]
    [InlineData("/x/../upload/b", "/upload/b")]
    [InlineData("/upload%2Fa", "/upload/a")]
    [InlineData("/%75pload/a", "/upload/a")]
    [InlineData("/%75PLOAD/a", "/uPLOAD/a")]
    [InlineData("//upload//a", "/upload/a")]
    [InlineData("/a\\upload\\x", "/a/upload/x")]
    [InlineData("/app;jsessionid=1/upload/x", "/app/upload/x")]
    [InlineData("/../../etc", "/etc")]
    [InlineData("/dir/", "/dir/")]
    [InlineData("/", "/")]
    [InlineData("/caf%C3%A9", "/café")]
    [InlineData("/upload./a", "/upload/a")]
    [InlineData("/upload%20%20/a", "/upload/a")]
    [InlineData("/upload.../a", "/upload/a")]
    [InlineData("/file.tar.gz", "/file.tar.gz")]
    [InlineData("/a/.well-known/x", "/a/.well-known/x")]
    [InlineData("/100%25", "/100%")]
    public void TryCanonicalize_Encodings_WidestReading(string raw, string expected)
    {
        Assert.True(EgressGuard.Policy.RequestPath.TryCanonicalize(raw, out var canonical, out var error), error);
        Assert.Equal(expected, canonical);
    }

    [Theory]
    [InlineData("/a%0d%0aPOST /upload")]
    [InlineData("/a%00b")]
    [InlineData("/a%zz")]
    [InlineData("/a%4")]
    [InlineData("/a%C0%AFupload")]
    [InlineData("/a%E0%80%AFupload")]
    [InlineData("/a%FF")]
    [InlineData("https://files.test/upload")]
    [InlineData("*")]
    public void TryCanonicalize_ControlOrNotAPath_Refused(string raw)
    {
        Assert.False(EgressGuard.Policy.RequestPath.TryCanonicalize(raw, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("/upload/report.txt/..;")]
    [InlineData("/x/..%2Fupload/b")]
    [InlineData("/public/..;/admin")]
    [InlineData("/public/%2E%2E/admin")]
    [InlineData("/a\\..\\upload\\x")]
    [InlineData("/foo/..%20/upload/x")]
    [InlineData("/foo/.%20/x")]
    [InlineData("/a/%252e%252e/upload")]
    [InlineData("/a%252Fupload")]
    public void TryCanonicalize_DotSegmentOnlyUnderSomeReading_RefusedAsAmbiguous(string raw)
    {
        Assert.False(EgressGuard.Policy.RequestPath.TryCanonicalize(raw, out _, out var error));
        Assert.NotEmpty(error);
    }
}
