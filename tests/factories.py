import factory
from django.contrib.auth import get_user_model

from portal.models import Department, GlossaryTerm, JobRun, Membership, Tenant
from portal.tenancy import tenant_context


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Tenant {n}")
    slug = factory.Sequence(lambda n: f"tenant-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    """Creates the row inside its tenant's scope, as the application does (on PostgreSQL,
    row-level security refuses a tenant-owned row written outside its tenant)."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenant_context(kwargs["tenant"]):
            return super()._create(model_class, *args, **kwargs)


class MembershipFactory(TenantOwnedFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = "rep"


class DepartmentFactory(TenantOwnedFactory):
    class Meta:
        model = Department

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Department {n}")


class GlossaryTermFactory(TenantOwnedFactory):
    class Meta:
        model = GlossaryTerm

    tenant = factory.SubFactory(TenantFactory)
    term = factory.Sequence(lambda n: f"Term {n}")
    definition = "A definition."


class JobRunFactory(TenantOwnedFactory):
    class Meta:
        model = JobRun

    tenant = factory.SubFactory(TenantFactory)
    kind = "recompute"
