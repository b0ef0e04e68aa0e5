# Every validation of the global module's variables, each shown refusing a bad value (one run
# per validation block; `cargo xtask terraform` checks that none is left without one).

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  domain_name = "shop.example.com"
  zone_id     = "Z0123456789ABCDEFGHIJ"
  regions = [
    { name = "eu-west", aws_region = "eu-west-1", vpc_cidr = "10.10.0.0/16", edge_lb_dns_name = "a", edge_lb_zone_id = "Z1" },
    { name = "us-east", aws_region = "us-east-1", vpc_cidr = "10.20.0.0/16", edge_lb_dns_name = "b", edge_lb_zone_id = "Z2" },
    { name = "ap-southeast", aws_region = "ap-southeast-1", vpc_cidr = "10.30.0.0/16", edge_lb_dns_name = "c", edge_lb_zone_id = "Z3" },
  ]
}

run "name_prefix_must_be_short_and_lowercase" {
  command = plan

  variables {
    name_prefix = "SHOP"
  }

  expect_failures = [var.name_prefix]
}

run "regions_must_not_be_empty" {
  command = plan

  variables {
    regions = []
  }

  expect_failures = [var.regions]
}

run "regions_must_be_named_once" {
  command = plan

  variables {
    regions = [{ name = "eu-west", aws_region = "eu-west-1", vpc_cidr = "10.10.0.0/16", edge_lb_dns_name = "a", edge_lb_zone_id = "Z1" }, { name = "eu-west", aws_region = "us-east-1", vpc_cidr = "10.20.0.0/16", edge_lb_dns_name = "b", edge_lb_zone_id = "Z2" }]
  }

  expect_failures = [var.regions]
}

run "regions_must_use_their_own_aws_region" {
  command = plan

  variables {
    regions = [{ name = "eu-west", aws_region = "eu-west-1", vpc_cidr = "10.10.0.0/16", edge_lb_dns_name = "a", edge_lb_zone_id = "Z1" }, { name = "eu-north", aws_region = "eu-west-1", vpc_cidr = "10.20.0.0/16", edge_lb_dns_name = "b", edge_lb_zone_id = "Z2" }]
  }

  expect_failures = [var.regions]
}

run "regions_must_use_their_own_range" {
  command = plan

  variables {
    regions = [{ name = "eu-west", aws_region = "eu-west-1", vpc_cidr = "10.10.0.0/16", edge_lb_dns_name = "a", edge_lb_zone_id = "Z1" }, { name = "us-east", aws_region = "us-east-1", vpc_cidr = "10.10.0.0/16", edge_lb_dns_name = "b", edge_lb_zone_id = "Z2" }]
  }

  expect_failures = [var.regions]
}

run "domain_name_must_be_a_dns_name" {
  command = plan

  variables {
    domain_name = "https://shop.example.com/"
  }

  expect_failures = [var.domain_name]
}

run "zone_id_must_be_a_hosted_zone_id" {
  command = plan

  variables {
    zone_id = "shop.example.com"
  }

  expect_failures = [var.zone_id]
}

run "database_name_must_be_an_identifier" {
  command = plan

  variables {
    database_name = "shop-db"
  }

  expect_failures = [var.database_name]
}

run "primary_region_must_be_a_region" {
  command = plan

  variables {
    primary_region = "sa-east"
  }

  expect_failures = [var.primary_region]
}

run "survival_goal_is_zone_or_region" {
  command = plan

  variables {
    survival_goal = "node"
  }

  expect_failures = [var.survival_goal]
}

run "region_survival_needs_three_regions" {
  command = plan

  variables {
    survival_goal = "region"
    placement     = "default"
    regions = [
      { name = "eu-west", aws_region = "eu-west-1", vpc_cidr = "10.10.0.0/16", edge_lb_dns_name = "a", edge_lb_zone_id = "Z1" },
      { name = "us-east", aws_region = "us-east-1", vpc_cidr = "10.20.0.0/16", edge_lb_dns_name = "b", edge_lb_zone_id = "Z2" },
    ]
  }

  expect_failures = [var.survival_goal]
}

run "placement_is_default_or_restricted" {
  command = plan

  variables {
    placement = "local"
  }

  expect_failures = [var.placement]
}

run "restricted_placement_needs_zone_survival" {
  command = plan

  variables {
    survival_goal = "region"
    placement     = "restricted"
  }

  expect_failures = [var.placement]
}

run "asn_range_must_be_private" {
  command = plan

  variables {
    asn_range = "100-200"
  }

  expect_failures = [var.asn_range]
}

run "tags_must_not_use_the_aws_prefix" {
  command = plan

  variables {
    tags = { "AWS:team" = "x" }
  }

  expect_failures = [var.tags]
}
