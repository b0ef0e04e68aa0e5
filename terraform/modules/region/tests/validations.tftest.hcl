# Every validation of the region module's variables, each shown refusing a bad value (one run
# per validation block; `cargo xtask terraform` checks that none is left without one).

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name     = "eu-west"
  vpc_cidr = "10.10.0.0/16"
  release  = "1.0.0"
}

run "name_must_be_a_region_folder_name" {
  command = plan

  variables {
    name = "EU_West"
  }

  expect_failures = [var.name]
}

run "name_prefix_must_be_short_and_lowercase" {
  command = plan

  variables {
    name_prefix = "Shop-Platform-Prod"
  }

  expect_failures = [var.name_prefix]
}

run "vpc_cidr_must_be_a_16_to_18_range" {
  command = plan

  variables {
    vpc_cidr = "10.10.0.0/24"
  }

  expect_failures = [var.vpc_cidr]
}

run "availability_zones_must_be_three" {
  command = plan

  variables {
    availability_zones = ["eu-west-1a", "eu-west-1b"]
  }

  expect_failures = [var.availability_zones]
}

run "peers_must_not_contain_the_region_itself" {
  command = plan

  variables {
    peers = [{
      name           = "eu-west"
      aws_region     = "us-east-1"
      vpc_cidr       = "10.40.0.0/16"
      edge_cidrs     = ["10.40.16.0/20"]
      core_cidrs     = ["10.40.64.0/20"]
      database_cidrs = ["10.40.112.0/20"]
      database_join  = ["10.40.112.10:26257"]
      core_endpoint  = "core.example:8080"
    }]
  }

  expect_failures = [var.peers]
}

run "peers_must_name_each_region_once" {
  command = plan

  variables {
    peers = [{
      name           = "us-east"
      aws_region     = "us-east-1"
      vpc_cidr       = "10.20.0.0/16"
      edge_cidrs     = ["10.20.16.0/20"]
      core_cidrs     = ["10.20.64.0/20"]
      database_cidrs = ["10.20.112.0/20"]
      database_join  = ["10.20.112.10:26257"]
      core_endpoint  = "core.example:8080"
      }, {
      name           = "us-east"
      aws_region     = "us-east-1"
      vpc_cidr       = "10.20.0.0/16"
      edge_cidrs     = ["10.20.16.0/20"]
      core_cidrs     = ["10.20.64.0/20"]
      database_cidrs = ["10.20.112.0/20"]
      database_join  = ["10.20.112.10:26257"]
      core_endpoint  = "core.example:8080"
    }]
  }

  expect_failures = [var.peers]
}

run "peers_must_not_share_the_region_s_range" {
  command = plan

  variables {
    peers = [{
      name           = "us-east"
      aws_region     = "us-east-1"
      vpc_cidr       = "10.10.0.0/16"
      edge_cidrs     = ["10.10.16.0/20"]
      core_cidrs     = ["10.10.64.0/20"]
      database_cidrs = ["10.10.112.0/20"]
      database_join  = ["10.10.112.10:26257"]
      core_endpoint  = "core.example:8080"
    }]
  }

  expect_failures = [var.peers]
}

run "release_must_be_a_semantic_version" {
  command = plan

  variables {
    release = "latest"
  }

  expect_failures = [var.release]
}

run "image_owners_must_be_accounts" {
  command = plan

  variables {
    image_owners = ["amazon"]
  }

  expect_failures = [var.image_owners]
}

run "edge_instance_type_must_be_an_ec2_type" {
  command = plan

  variables {
    edge = { instance_type = "m7g large" }
  }

  expect_failures = [var.edge]
}

run "edge_needs_one_instance_per_zone_and_ordered_sizes" {
  command = plan

  variables {
    edge = { min_size = 2, desired_capacity = 2 }
  }

  expect_failures = [var.edge]
}

run "edge_cpu_target_must_leave_headroom" {
  command = plan

  variables {
    edge = { cpu_target = 95 }
  }

  expect_failures = [var.edge]
}

run "core_instance_type_must_be_an_ec2_type" {
  command = plan

  variables {
    core = { instance_type = "xlarge" }
  }

  expect_failures = [var.core]
}

run "core_needs_one_instance_per_zone_and_ordered_sizes" {
  command = plan

  variables {
    core = { min_size = 3, desired_capacity = 13, max_size = 12 }
  }

  expect_failures = [var.core]
}

run "core_cpu_target_must_leave_headroom" {
  command = plan

  variables {
    core = { cpu_target = 10 }
  }

  expect_failures = [var.core]
}

run "database_nodes_need_four_vcpu" {
  command = plan

  variables {
    database = { instance_type = "m7g.large" }
  }

  expect_failures = [var.database]
}

run "database_nodes_spread_evenly_over_zones" {
  command = plan

  variables {
    database = { nodes_per_zone = 4 }
  }

  expect_failures = [var.database]
}

run "database_volume_size_within_gp3_limits" {
  command = plan

  variables {
    database = { volume_size_gib = 50 }
  }

  expect_failures = [var.database]
}

run "database_volume_performance_within_gp3_limits" {
  command = plan

  variables {
    database = { volume_iops = 20000 }
  }

  expect_failures = [var.database]
}

run "min_healthy_percentage_keeps_half_in_service" {
  command = plan

  variables {
    min_healthy_percentage = 40
  }

  expect_failures = [var.min_healthy_percentage]
}

run "logs_are_kept_at_least_a_year" {
  command = plan

  variables {
    log_retention_days = 180
  }

  expect_failures = [var.log_retention_days]
}

run "backups_are_kept_at_least_a_month" {
  command = plan

  variables {
    backup_retention_days = 7
  }

  expect_failures = [var.backup_retention_days]
}

run "tags_must_not_use_the_aws_prefix" {
  command = plan

  variables {
    tags = { "aws:owner" = "me" }
  }

  expect_failures = [var.tags]
}
