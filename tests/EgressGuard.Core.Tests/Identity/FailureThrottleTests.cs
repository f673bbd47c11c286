using EgressGuard.Identity;
using Microsoft.Extensions.Time.Testing;

namespace EgressGuard.Tests.Identity;

/// <summary>The failure throttle's memory under a spray of wrong passwords from many addresses (issue 16, item 5).</summary>
public sealed class FailureThrottleTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly AuthOptions _options = new() { Mode = "basic", MaxFailures = 3, FailureWindow = TimeSpan.FromMinutes(1) };

    private static string Address(int i) => $"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}";

    private static void FailOnce(FailureThrottle throttle, string client) => throttle.Fail(client, throttle.TryBegin(client));

    [Fact]
    public void Fail_MoreAddressesThanTheBoundOverTime_TrackedStaysBounded()
    {
        var throttle = new FailureThrottle(_options, _clock);
        for (var i = 0; i < FailureThrottle.MaxAddresses; i++)
        {
            FailOnce(throttle, Address(i));
        }

        Assert.Equal(FailureThrottle.MaxAddresses, throttle.Tracked);

        // The first wave's windows are over: the next wave's addresses replace them.
        _clock.Advance(TimeSpan.FromMinutes(2));
        for (var i = 0; i < 1000; i++)
        {
            FailOnce(throttle, "192.0." + (i >> 8) + "." + (i & 255));
        }

        Assert.Equal(1000, throttle.Tracked);
    }

    [Fact]
    public void TryBegin_BoundFullOfLiveWindows_NewAddressCheckedWithoutBeingTracked()
    {
        var throttle = new FailureThrottle(_options, _clock);
        for (var i = 0; i < FailureThrottle.MaxAddresses; i++)
        {
            FailOnce(throttle, Address(i));
        }

        // Every window is still live: a further address gets a check (not a refusal), and no entry.
        Assert.NotNull(throttle.TryBegin("192.0.2.1"));
        Assert.Equal(FailureThrottle.MaxAddresses, throttle.Tracked);
    }

    [Fact]
    public void Sweep_BlockedAddress_KeptUntilItsBlockEnds()
    {
        var throttle = new FailureThrottle(_options, _clock);
        for (var i = 0; i < 3; i++)
        {
            FailOnce(throttle, "10.9.9.9");
        }

        Assert.True(throttle.IsBlocked("10.9.9.9"));
        _clock.Advance(TimeSpan.FromSeconds(30));
        throttle.Sweep();
        Assert.True(throttle.IsBlocked("10.9.9.9"));
        Assert.Null(throttle.TryBegin("10.9.9.9"));

        _clock.Advance(TimeSpan.FromMinutes(2));
        throttle.Sweep();
        Assert.Equal(0, throttle.Tracked);
        Assert.NotNull(throttle.TryBegin("10.9.9.9"));
    }
}
