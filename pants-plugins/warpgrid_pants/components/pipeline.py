"""The shared component pipeline: a component target's field set -> a validated, packaged component.

Every language is the same four steps, and only the second is the language's own:
  1. `WitWorldRequest` -> `WitWorld` (world.py): the `wit` directory and the `world`;
  2. the language step: a `CoreModuleStep` -> `CoreModule` (C: clang) or a `ComponentStep` ->
     `UnfinalizedComponent` (ComponentizeJS, cargo for wasm32-wasip2, Bun + ComponentizeJS);
  3. for a core module only, `ComponentizeRequest` -> `UnfinalizedComponent` (componentize.py);
  4. `FinalizeComponentRequest` -> `Component` (finalize.py), then `component_package`.

A language plugs in with (see components/rust.py, and docs/ARCHITECTURE.md):
  - its step request, a subclass of `CoreModuleStep` or `ComponentStep` (it carries the field
    set, the `WitWorld` and the hydrated sources), and the one rule that answers it;
  - its field set, a subclass of `ComponentFieldSet` (which has `sources`, `world`, `wit` and
    `output_path`: the target's own fields subclass these, and its world field's `default` is the
    language's default world) that adds its own fields, names its step (`step = XStep`) and says,
    in the language's terms, how a component gets the world's export (`export_help`, or an
    `export_hint` method where that depends on the world);
  - `rules()` returning `[*collect_rules(), *XFieldSet.rules()]`.
`ComponentFieldSet.rules()` registers the field set for `package`, its step in the right union,
and the two per-type rules Pants needs (field set -> `Component`, field set -> `BuiltPackage`),
generated the way Pants' own `RunFieldSet.rules()` generates its per-type rules.
"""

from __future__ import annotations

import posixpath
from abc import ABCMeta
from dataclasses import dataclass
from typing import ClassVar, Iterable, Type, Union

from pants.core.goals.package import BuiltPackage, PackageFieldSet
from pants.engine.addresses import Address
from pants.engine.environment import EnvironmentName
from pants.engine.fs import Snapshot
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.target import HydratedSources, HydrateSourcesRequest, MultipleSourcesField
from pants.engine.unions import UnionRule, union
from pants.util.logging import LogLevel
from pants.util.memo import memoized

from warpgrid_pants.components.componentize import ComponentizeRequest, CoreModule, UnfinalizedComponent
from warpgrid_pants.components.finalize import Component, FinalizeComponentRequest, component_package
from warpgrid_pants.components.world import ComponentBuildError, WitWorld, WitWorldRequest, relative_path
from warpgrid_pants.target_types import ComponentOutputPathField, WitDirField, WorldField


@dataclass(frozen=True)
class LanguageStep:
    """A language's own step for one target: its field set, the `WitWorld`, its sources."""

    field_set: ComponentFieldSet
    wit: WitWorld
    sources: Snapshot  # the hydrated `sources`, at their paths from the build root

    @property
    def address(self) -> Address:
        return self.field_set.address

    @property
    def app_dir(self) -> str:
        """The target's directory ("" at the build root)."""
        return self.field_set.address.spec_path

    def app_path(self, name: str) -> str:
        """`name` next to the target's BUILD file, as a path from the build root."""
        return posixpath.join(self.app_dir, name)

    def require_sources(self, names: Iterable[str], why: str = "") -> None:
        """Fail naming the files (next to the BUILD file) that `sources` must include, and `why`."""
        missing = [n for n in names if self.app_path(n) not in self.sources.files]
        if missing:
            raise ComponentBuildError(
                f"{self.field_set.address}: `sources` must include {' and '.join(missing)} next to "
                f"the BUILD file{f' ({why})' if why else ''}"
            )

    def source_named_by(self, field: str, raw: str) -> str:
        """The source file a field (e.g. `entry`) names relative to the BUILD file, checked to be
        among the sources, as a path from the build root."""
        path = self.app_path(relative_path(self.address, field, raw, relative_to="the BUILD file"))
        if path not in self.sources.files:
            raise ComponentBuildError(
                f"{self.address}: `{field}={raw!r}` ({path}) is not among the target's sources "
                f"({sorted(self.sources.files)}): fix `{field}` or add the file to `sources`"
            )
        return path


# A step runs Processes, which need the caller's environment: the union passes it along.
@union(in_scope_types=[EnvironmentName])
@dataclass(frozen=True)
class CoreModuleStep(LanguageStep):
    """A step whose rule returns a `CoreModule`; the pipeline componentizes it."""


@union(in_scope_types=[EnvironmentName])
@dataclass(frozen=True)
class ComponentStep(LanguageStep):
    """A step whose rule returns an `UnfinalizedComponent` (its toolchain makes the component)."""


@dataclass(frozen=True)
class ComponentFieldSet(PackageFieldSet, metaclass=ABCMeta):
    """What every component target has (its own `sources` and `world` fields are subclasses of
    these, so `create` finds them); a language adds its own fields and names its step."""

    sources: MultipleSourcesField
    world: WorldField  # its `default` is the language's default world
    wit: WitDirField
    output_path: ComponentOutputPathField

    step: ClassVar[Type[LanguageStep]]
    # How to fix a component that lacks the world's export, in the language's terms, where one
    # text serves every world; a language whose hint depends on the world overrides `export_hint`.
    export_help: ClassVar[str] = ""

    def export_hint(self, wit: WitWorld) -> str:
        """How to fix a component that lacks `wit`'s export, in the language's terms."""
        return self.export_help

    @classmethod
    def rules(cls) -> Iterable[Union[Rule, UnionRule]]:
        yield UnionRule(PackageFieldSet, cls)
        yield UnionRule(CoreModuleStep if issubclass(cls.step, CoreModuleStep) else ComponentStep, cls.step)
        yield from _field_set_rules(cls)


@dataclass(frozen=True)
class BuildComponentRequest:
    """Any language's component target, through the whole pipeline."""

    field_set: ComponentFieldSet

    @property
    def wit_world_request(self) -> WitWorldRequest:
        field_set = self.field_set
        world = field_set.world.value or type(field_set.world).default
        return WitWorldRequest(field_set.address, field_set.wit.value, world)


@rule(desc="Building a component", level=LogLevel.DEBUG)
async def build_component(request: BuildComponentRequest) -> Component:
    wit, sources = await MultiGet(
        Get(WitWorld, WitWorldRequest, request.wit_world_request),
        Get(HydratedSources, HydrateSourcesRequest(request.field_set.sources)),
    )
    field_set = request.field_set
    step = field_set.step(field_set, wit, sources.snapshot)
    if isinstance(step, CoreModuleStep):
        core = await Get(CoreModule, CoreModuleStep, step)
        unfinalized = await Get(UnfinalizedComponent, ComponentizeRequest(core, wit))
    else:
        unfinalized = await Get(UnfinalizedComponent, ComponentStep, step)
    return await Get(
        Component,
        FinalizeComponentRequest(
            unfinalized,
            output_path=field_set.output_path.value_or_default(file_ending="wasm"),
            export_hint=field_set.export_hint(wit),
        ),
    )


@memoized
def _field_set_rules(cls: Type[ComponentFieldSet]) -> Iterable[Rule]:
    """`cls` -> `Component` (what tests and other rules ask for) and `cls` -> `BuiltPackage`."""

    @rule(desc="Building a component", level=LogLevel.DEBUG, _param_type_overrides={"field_set": cls})
    async def build_language_component(field_set: ComponentFieldSet) -> Component:
        return await Get(Component, BuildComponentRequest(field_set))

    @rule(desc="Packaging a component", level=LogLevel.DEBUG, _param_type_overrides={"field_set": cls})
    async def package_language_component(field_set: ComponentFieldSet) -> BuiltPackage:
        return component_package(await Get(Component, BuildComponentRequest(field_set)))

    return collect_rules(locals())


def rules():
    return collect_rules()
