"""The EC2 instance table: allocatable is nominal less the EKS kubelet reserve, pod limits
follow the ENI formula, every planned family and size is there, prices grow with size, and
the table's date is a real day in the past."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

import pytest

from kgen.instances import (
    DATA_FILE,
    InstanceType,
    data_date,
    data_region,
    instance_type,
    instance_types,
    kube_reserved,
)
from kgen.record import FrozenInstanceError

FAMILY_SIZES = {
    "t3": ("medium", "large", "xlarge", "2xlarge"),
    **{
        family: ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge")
        for family in ("m5", "m6i", "m7i", "c6i", "c7i", "r6i", "m7g", "c7g")
    },
}
SIZE_ORDER = ("medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge")


def _family_and_size(name: str) -> tuple[str, str]:
    family, size = name.split(".")
    return family, size


def test_every_row_is_its_nominal_capacity_less_the_eks_reserve() -> None:
    for it in instance_types().values():
        reserved = kube_reserved(it.vcpu, it.memory_mib, it.max_pods)
        assert it.allocatable_cpu_millis == it.vcpu * 1000 - reserved.cpu_millis, it.name
        assert it.allocatable_memory_mib == it.memory_mib - reserved.memory_mib, it.name


def test_m5_large_by_hand() -> None:
    # cpu: 2000m - (6% of 1000m + 1% of 1000m) = 2000 - (60 + 10) = 1930m
    # memory: 8192 - (11 * 29 + 255) - 100 = 8192 - 574 - 100 = 7518 MiB
    assert kube_reserved(2, 8192, 29) == (70, 674)
    assert instance_type("m5.large") == InstanceType(
        name="m5.large",
        vcpu=2,
        memory_mib=8192,
        max_pods=29,
        allocatable_cpu_millis=1930,
        allocatable_memory_mib=7518,
        hourly_usd=0.096,
        arch="x86_64",
    )


def test_m5_8xlarge_by_hand() -> None:
    # cpu: 32000m - (60 + 10 + 0.5% of 2000m + 0.25% of 28000m) = 32000 - (60 + 10 + 10 + 70)
    #      = 31850m
    # memory: 131072 - (11 * 234 + 255) - 100 = 131072 - 2829 - 100 = 128143 MiB
    m5 = instance_type("m5.8xlarge")
    assert m5 is not None
    assert (m5.allocatable_cpu_millis, m5.allocatable_memory_mib) == (31850, 128143)


def test_t3_medium_by_hand() -> None:
    # cpu: 2000m - (60 + 10) = 1930m
    # memory: 4096 - (11 * 17 + 255) - 100 = 4096 - 442 - 100 = 3554 MiB
    t3 = instance_type("t3.medium")
    assert t3 is not None
    assert (t3.max_pods, t3.allocatable_cpu_millis, t3.allocatable_memory_mib) == (17, 1930, 3554)


def test_each_cpu_range_is_rounded_down_as_nodeadm_does() -> None:
    # 5 vCPUs: 60 + 10 + 10 + 0.25% of 1000m (2.5, rounded down to 2) = 82m
    assert kube_reserved(5, 20480, 58).cpu_millis == 82


@pytest.mark.parametrize(
    ("name", "enis", "ipv4_per_eni"),
    [
        ("t3.medium", 3, 6),
        ("t3.large", 3, 12),
        ("c6i.large", 3, 10),
        ("c7g.xlarge", 4, 15),
        ("c6i.4xlarge", 8, 30),
    ],
)
def test_max_pods_follow_the_eni_formula(name: str, enis: int, ipv4_per_eni: int) -> None:
    # ENIs * (IPv4 addresses per ENI - 1: the first is the ENI's own) + 2 host-network pods
    it = instance_type(name)
    assert it is not None
    assert it.max_pods == enis * (ipv4_per_eni - 1) + 2


def test_every_planned_family_has_its_sizes_and_nothing_else() -> None:
    expected = {f"{family}.{size}" for family, sizes in FAMILY_SIZES.items() for size in sizes}
    assert set(instance_types()) == expected


def test_the_table_is_sorted_by_family_then_size() -> None:
    names = list(instance_types())
    assert names == sorted(
        names,
        key=lambda name: (
            _family_and_size(name)[0],
            SIZE_ORDER.index(_family_and_size(name)[1]),
        ),
    )


def test_prices_are_positive_and_grow_with_size_within_a_family() -> None:
    for family, sizes in FAMILY_SIZES.items():
        prices = []
        for size in sizes:
            it = instance_type(f"{family}.{size}")
            assert it is not None
            prices.append(it.hourly_usd)
        assert all(price > 0 for price in prices), family
        assert prices == sorted(prices), family
        assert len(set(prices)) == len(prices), family


def test_graviton_families_are_arm64_and_the_rest_x86_64() -> None:
    for it in instance_types().values():
        family, _ = _family_and_size(it.name)
        assert it.arch == ("arm64" if family.endswith("g") else "x86_64"), it.name


def test_the_table_is_dated_in_the_past_for_us_east_1() -> None:
    assert isinstance(data_date(), date)
    assert data_date() <= date.today()
    assert data_region() == "us-east-1"


def test_integral_figures_are_json_integers() -> None:
    text = resources.files("kgen").joinpath(DATA_FILE).read_text(encoding="utf-8")
    raw = json.loads(text)
    assert raw["currency"] == "USD"
    for name, row in raw["instanceTypes"].items():
        integral = [row["vcpu"], row["memoryMiB"], row["maxPods"], *row["allocatable"].values()]
        assert all(type(value) is int for value in integral), name


def test_lookups_are_loaded_once_and_unknown_types_are_none() -> None:
    assert instance_types() is instance_types()
    assert instance_type("m5.large") is instance_types()["m5.large"]
    assert instance_type("m5.metal") is None
    assert instance_type("M5.LARGE") is None


def test_rows_are_frozen_and_the_mapping_read_only() -> None:
    it = instance_types()["c7g.large"]
    with pytest.raises(FrozenInstanceError):
        it.vcpu = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        instance_types()["c7g.large"] = it  # type: ignore[index]


@pytest.mark.parametrize(
    ("vcpu", "memory_mib", "max_pods"),
    [(0, 8192, 29), (2, 8192, -1), (2, 512, 29)],
)
def test_impossible_nodes_are_refused(vcpu: int, memory_mib: int, max_pods: int) -> None:
    with pytest.raises(ValueError, match=r"vcpu|max_pods|leaves nothing"):
        kube_reserved(vcpu, memory_mib, max_pods)
