using System.Net;
using EgressGuard.Addressing;
using EgressGuard.Lists;

namespace EgressGuard.Benchmarks;

/// <summary>Seeded synthetic feed data: the same ranges for every run and every structure.</summary>
internal static class Synthetic
{
    public static IEnumerable<IpRange> Ranges(int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            if (i % 10 == 9)
            {
                var high = (UInt128)(ulong)random.NextInt64() << 64;
                yield return new IpRange(false, high, high | ulong.MaxValue);
                continue;
            }

            var prefix = random.Next(24, 33);
            var mask = prefix == 32 ? uint.MaxValue : ~((1u << (32 - prefix)) - 1);
            var first = (uint)random.NextInt64(0x0100_0000, 0xDF00_0000) & mask;
            yield return new IpRange(true, first, first | ~mask);
        }
    }

    public static void AddRandomRanges(IpRangeIndexBuilder builder, int count, int seed)
    {
        var source = builder.AddSource("feed:synthetic");
        foreach (var range in Ranges(count, seed))
        {
            builder.Add(source, range);
        }
    }

    public static IPNetwork[] Networks(int count, int seed) =>
        Ranges(count, seed).Where(r => r.IsIPv4).Select(r => IPNetwork.Parse(r.ToString().Contains('/') ? r.ToString() : r + "/32")).ToArray();

    /// <summary>Feed text of <paramref name="count"/> lines, as a download would deliver it.</summary>
    public static string FeedText(int count, int seed) =>
        string.Join('\n', Ranges(count, seed).Select(r => r.ToString()));
}
