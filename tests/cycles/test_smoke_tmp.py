from django.urls import reverse
from tests.cycles.helpers import check_in
from cycles.models import Cycle

def test_smoke(client, org):
    check_in(org.key_result, value="0.5", confidence=70)
    org.cycle.phase = Cycle.Phase.SCORING
    org.cycle.save()
    client.force_login(org.lead)
    for url in [
        reverse("cycles:unit-scoring", args=[org.team.pk]),
        reverse("cycles:unit-retro", args=[org.team.pk]),
        reverse("cycles:unit-calibration", args=[org.team.pk]),
        reverse("cycles:calibration"),
    ]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.content[:3000])
    r = client.post(reverse("cycles:key-result-score", args=[org.key_result.pk]), {"action": "accept"})
    assert r.status_code == 302
    print(client.get(reverse("cycles:unit-scoring", args=[org.team.pk])).content.decode()[-6000:])
    r = client.get(reverse("cycles:unit-retro", args=[org.team.pk]))
    print(r.content.decode()[-5000:])
    client.force_login(org.admin)
    r = client.get(reverse("cycles:cycle-list"))
    assert r.status_code == 200
